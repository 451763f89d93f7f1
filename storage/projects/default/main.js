/**
 * robot-control default project: a simulated quadruped.
 *
 * Objects (each exported name is callable from a client):
 *   sport_client  StandUp, StandDown, Move({vx, vy, vyaw}), MoveFor({vx, vy, vyaw, seconds}),
 *                 StopMove, GetStatus
 *   recognition   Start({interval_ms}), Stop, GetLast
 *
 * Pushed events: `odometry` (10 Hz while moving), `recognition_result` (while the
 * recognition loop runs), `battery_low` (once, under 20 %).
 * `stop()` (called by the broker when the client disconnects) halts motion and loops.
 */
'use strict';

const TICK_MS = 100;
const MAX_SPEED = 1.5; // m/s
const MAX_YAW = 2.0; // rad/s

function clamp(v, limit) {
  const n = Number(v);
  if (!Number.isFinite(n)) return 0;
  return Math.max(-limit, Math.min(limit, n));
}

class SportClient {
  constructor() {
    this.posture = 'lying';
    this.pose = { x: 0, y: 0, yaw: 0 };
    this.velocity = { vx: 0, vy: 0, vyaw: 0 };
    this.battery = 100;
    this.timer = null;
    this.moveDone = null;
    this.warnedLow = false;
    this.lastTick = Date.now();
  }

  /** Stand up: the robot must be standing before it can Move. */
  StandUp() {
    this.posture = 'standing';
    console.log(`standing up, battery ${Math.round(this.battery)} %`);
    return { posture: this.posture };
  }

  /** Stop moving and lie down. */
  StandDown() {
    this.StopMove();
    this.posture = 'lying';
    console.log('lying down');
    return { posture: this.posture };
  }

  /**
   * Start moving at a velocity until StopMove (or a new Move); odometry is pushed at 10 Hz.
   * Needs StandUp first. Speeds are clamped to ±1.5 m/s and ±2 rad/s.
   * @param {object} [velocity] body-frame velocity
   * @param {number} [velocity.vx=0] forward speed, m/s (negative: backward)
   * @param {number} [velocity.vy=0] sideways speed, m/s (positive: left)
   * @param {number} [velocity.vyaw=0] turn rate, rad/s (positive: counter-clockwise)
   */
  Move({ vx = 0, vy = 0, vyaw = 0 } = {}) {
    if (this.posture !== 'standing') throw new Error('the robot must StandUp before it can Move');
    this.velocity = { vx: clamp(vx, MAX_SPEED), vy: clamp(vy, MAX_SPEED), vyaw: clamp(vyaw, MAX_YAW) };
    if (!this.timer) {
      this.lastTick = Date.now();
      this.timer = setInterval(() => this._tick(), TICK_MS);
    }
    return { velocity: this.velocity };
  }

  /**
   * Move for `seconds`, answering when done (or when StopMove cuts it short).
   * @param {object} [motion]
   * @param {number} [motion.vx=0] forward speed, m/s
   * @param {number} [motion.vy=0] sideways speed, m/s (positive: left)
   * @param {number} [motion.vyaw=0] turn rate, rad/s (positive: counter-clockwise)
   * @param {number} [motion.seconds=1] how long, s (at most 60)
   */
  async MoveFor({ vx = 0, vy = 0, vyaw = 0, seconds = 1 } = {}) {
    this.Move({ vx, vy, vyaw });
    const ms = Math.max(0, Math.min(Number(seconds) || 0, 60)) * 1000;
    const stoppedEarly = await new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.moveDone = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
    this.StopMove();
    return { stoppedEarly, pose: this._roundedPose() };
  }

  /** Stop moving (the robot stays standing); answers the pose it stopped at. */
  StopMove() {
    this.velocity = { vx: 0, vy: 0, vyaw: 0 };
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const done = this.moveDone;
    this.moveDone = null;
    if (done) done();
    return { pose: this._roundedPose() };
  }

  /** Posture, whether it is moving, pose (m, rad), velocity and battery (%). */
  GetStatus() {
    this._drain();
    return {
      posture: this.posture,
      moving: this.timer !== null,
      pose: this._roundedPose(),
      velocity: this.velocity,
      battery: Math.round(this.battery * 10) / 10,
    };
  }

  /** Lifecycle hook: the broker calls it when the client disconnects. Halts motion. */
  stop() {
    this.StopMove();
  }

  _drain() {
    const now = Date.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    const moving = this.timer !== null;
    // 0.05 %/s idle, 0.5 %/s moving: a demo battery you can watch drain.
    this.battery = Math.max(0, this.battery - dt * (moving ? 0.5 : 0.05));
    if (this.battery < 20 && !this.warnedLow) {
      this.warnedLow = true;
      pushMessage('battery_low', { battery: Math.round(this.battery) });
    }
    return dt;
  }

  _tick() {
    const dt = this._drain();
    const { vx, vy, vyaw } = this.velocity;
    const { yaw } = this.pose;
    this.pose.x += (vx * Math.cos(yaw) - vy * Math.sin(yaw)) * dt;
    this.pose.y += (vx * Math.sin(yaw) + vy * Math.cos(yaw)) * dt;
    this.pose.yaw = Math.atan2(Math.sin(yaw + vyaw * dt), Math.cos(yaw + vyaw * dt));
    pushMessage('odometry', { ...this._roundedPose(), ...this.velocity, battery: Math.round(this.battery * 10) / 10 });
  }

  _roundedPose() {
    const r = (v) => Math.round(v * 1000) / 1000;
    return { x: r(this.pose.x), y: r(this.pose.y), yaw: r(this.pose.yaw) };
  }
}

const LABELS = ['ball', 'person', 'chair', 'cup', 'dog'];

class Recognition {
  constructor() {
    this.timer = null;
    this.count = 0;
    this.last = null;
  }

  /**
   * Push a `recognition_result` every `interval_ms` until Stop.
   * @param {object} [options]
   * @param {number} [options.interval_ms=500] time between results, ms (10 to 60000)
   */
  Start({ interval_ms = 500 } = {}) {
    const every = Math.max(10, Math.min(Number(interval_ms) || 500, 60_000));
    this.Stop();
    this.timer = setInterval(() => {
      this.count += 1;
      this.last = {
        count: this.count,
        object: LABELS[this.count % LABELS.length],
        confidence: Math.round((0.7 + Math.random() * 0.3) * 100) / 100,
        bbox: [Math.round(Math.random() * 600), Math.round(Math.random() * 400), 40, 40],
        timestamp: Date.now(),
      };
      pushMessage('recognition_result', this.last);
    }, every);
    return { running: true, interval_ms: every };
  }

  /** Stop the recognition loop; answers how many results it pushed in all. */
  Stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return { running: false, count: this.count };
  }

  /** The last result pushed, or null before the first. */
  GetLast() {
    return this.last;
  }

  /** Lifecycle hook: the broker calls it when the client disconnects. Ends the loop. */
  stop() {
    this.Stop();
  }
}

exports.sport_client = new SportClient();
exports.recognition = new Recognition();
