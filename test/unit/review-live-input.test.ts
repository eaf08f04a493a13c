import { describe, expect, it } from 'vitest';
import { liveInput } from '../../src/review/live-view.js';

describe('live view input', () => {
  it("takes the camera's rtspTransport (tcp unless it says udp); the URL stays off the command line", () => {
    expect(liveInput('rtsp://u:p@cam/1', true).script).toContain("option rtsp_transport 'tcp'");
    const udp = liveInput('rtsp://u:p@cam/1', true, 'udp');
    expect(udp.script).toContain("option rtsp_transport 'udp'");
    expect(udp.args.join(' ')).not.toContain('rtsp://');
    expect(liveInput('rtsp://cam/1', false, 'udp').script).toContain("file 'rtsp://cam/1?udp'");
  });
});
