import type { PatrolConfig } from './schema.js';
import { isSimplePolygon, polygonArea } from '../geometry/polygon.js';
import { resolveTransport } from './transport.js';

export interface ConfigProblem {
  path: string;
  message: string;
  fix: string;
}

/** Checks zod cannot express per field: uniqueness across the list, polygon shape. */
export function checkConfigSemantics(config: PatrolConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  config.cameras.forEach((cam, i) => {
    if (seen.has(cam.id)) problems.push({ path: `cameras[${i}].id`, message: `duplicate camera id '${cam.id}'`, fix: 'Give every camera a unique id; events and leases are keyed by it.' });
    seen.add(cam.id);
    const unused = Object.keys(cam.intervals ?? {}).filter((v) => !cam.violations.includes(v as never));
    if (unused.length > 0) problems.push({ path: `cameras[${i}].intervals`, message: `sets an interval for ${unused.join(', ')}, which camera '${cam.id}' does not enable`, fix: `Add ${unused.join(', ')} to cameras[${i}].violations or remove it from intervals.` });
    if (cam.transport === 'native' && !/^rtsp:\/\//i.test(cam.url)) {
      problems.push({
        path: `cameras[${i}].transport`,
        message: `transport 'native' needs an rtsp:// url; camera '${cam.id}' has ${cam.url.split(':')[0]}://`,
        fix: `Set cameras[${i}].transport to ffmpeg (or leave it out): the in-process client speaks plain rtsp:// only.`,
      });
    }
    if (cam.rtspTransport === 'udp' && !/^rtsp:\/\//i.test(cam.url)) {
      problems.push({
        path: `cameras[${i}].rtspTransport`,
        message: `rtspTransport 'udp' needs an rtsp:// url; camera '${cam.id}' has ${cam.url.split(':')[0]}://`,
        fix: `Remove rtspTransport from cameras[${i}] (RTP over UDP is for plain rtsp:// cameras only).`,
      });
    }
    if (cam.transport === 'native' && cam.decode === 'interval') {
      problems.push({
        path: `cameras[${i}].decode`,
        message: `camera '${cam.id}' asks for decode: interval, which transport 'native' does not do yet (it decodes keyframes only)`,
        fix: `Set cameras[${i}].decode to keyframe, or cameras[${i}].transport to ffmpeg.`,
      });
    }
    const transport = resolveTransport(cam);
    // An explicit native the client cannot serve is named by the rules above; here: ffmpeg set, or the default.
    if (cam.tour && transport.kind !== 'native') {
      const fix =
        cam.transport === 'ffmpeg'
          ? `Remove transport: ffmpeg from cameras[${i}] (rtsp:// cameras are native by default)`
          : cam.decode === 'interval' && /^rtsp:\/\//i.test(cam.url)
            ? `Set cameras[${i}].decode to keyframe`
            : `Give cameras[${i}] a plain rtsp:// url`;
      problems.push({
        path: `cameras[${i}].tour`,
        message: `camera '${cam.id}' is toured, which needs transport 'native' (it has ${transport.kind}: ${transport.why})`,
        fix: `${fix}, or remove cameras[${i}].tour to hold the camera open.`,
      });
    }
    cam.tour?.hours.forEach((h, j) => {
      if (h.from === h.to) problems.push({ path: `cameras[${i}].tour.hours[${j}]`, message: `the window from ${h.from} to ${h.to} is empty`, fix: 'Give the window a different end (to), e.g. from: "06:00", to: "09:00".' });
    });
    const zoneIds = new Set<string>();
    cam.zones.forEach((zone, j) => {
      const path = `cameras[${i}].zones[${j}]`;
      if (zoneIds.has(zone.id)) problems.push({ path: `${path}.id`, message: `duplicate zone id '${zone.id}' on camera '${cam.id}'`, fix: 'Zone ids must be unique within a camera.' });
      zoneIds.add(zone.id);
      const poly = zone.polygon as [number, number][];
      if (!isSimplePolygon(poly)) problems.push({ path: `${path}.polygon`, message: 'the polygon crosses itself', fix: 'List the points in order around the zone (clockwise or counter-clockwise) so edges do not cross.' });
      else if (Math.abs(polygonArea(poly)) < 1e-4) problems.push({ path: `${path}.polygon`, message: 'the polygon has (almost) no area', fix: 'Use at least three points that enclose part of the picture.' });
      const off = zone.violations.filter((v) => !cam.violations.includes(v));
      if (off.length > 0) problems.push({ path: `${path}.violations`, message: `watches ${off.join(', ')}, which camera '${cam.id}' does not enable`, fix: `Add ${off.join(', ')} to cameras[${i}].violations or remove it from the zone.` });
    });
  });
  return problems;
}
