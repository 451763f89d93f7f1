/** Robot projects the panel tests upload, built as real ZIPs. */
import { zipFiles } from '../helpers/zip.js';

/** A small robot: calls that answer, fail, push telemetry, flood, and a StopMove. */
export const ROVER = `
'use strict';
let telemetry = null;
let flood = null;
exports.rover = {
  Hello(name) { return { hello: name }; },
  Add(a, b) { return a + b; },
  Fail() { throw new Error('rover says no'); },
  /** Push \`telemetry\` every \`every_ms\` until StopMove: numbers to plot. */
  Drive({ every_ms = 20 } = {}) {
    let seq = 0;
    clearInterval(telemetry);
    telemetry = setInterval(() => {
      seq += 1;
      pushMessage('telemetry', { seq, speed: Math.round(Math.sin(seq / 10) * 100) / 100, battery: 100 - seq / 100 });
    }, every_ms);
    return { driving: true };
  },
  /** \`per_second\` pushes a second for \`seconds\`, in 10 ms ticks that catch up when timers run late. */
  Flood({ per_second = 1000, seconds = 2 } = {}) {
    let i = 0;
    const started = Date.now();
    const total = Math.round(per_second * seconds);
    clearInterval(flood);
    flood = setInterval(() => {
      const due = Math.min(total, Math.round(((Date.now() - started) / 1000) * per_second));
      while (i < due) { i += 1; pushMessage('flood', { i, value: Math.sin(i / 50) }); }
      if (i >= total) { clearInterval(flood); flood = null; pushMessage('flood_done', { sent: i }); }
    }, 10);
    return { total };
  },
  StopMove() {
    clearInterval(telemetry);
    telemetry = null;
    pushMessage('stopped', { by: 'StopMove' });
    return { stopped: true };
  },
  /** The hook STOP (emergency_stop) and the lease's deadman run. */
  stop() {
    return exports.rover.StopMove();
  },
};
`;

export function roverZip(): Buffer {
  return zipFiles({ 'rover/main.js': ROVER, 'rover/README.md': '# rover\n' });
}

/** A robot to drive from the keyboard: Move echoes each command as `cmd`, StopMove pushes `halt`; Tick pushes one sample. */
export const DRIVER = `
'use strict';
exports.base = {
  /**
   * Drive at a velocity.
   * @param {object} v
   * @param {number} [v.vx=0] forward, m/s
   * @param {number} [v.vyaw=0] turn rate, rad/s
   */
  Move({ vx = 0, vyaw = 0 } = {}) { pushMessage('cmd', { vx, vyaw }); return { vx, vyaw }; },
  StopMove() { pushMessage('halt', { at: Date.now() }); return { stopped: true }; },
  /** One sample of \`level\`, to plot. */
  Tick(level = 1) { pushMessage('level', { value: level }); return level; },
  Print(text) { console.log(text); return text; },
  Fail() {
    return deeper();
  },
};
function deeper() {
  throw new RangeError('too far');
}
`;

export function driverZip(): Buffer {
  return zipFiles({ 'main.js': DRIVER });
}
