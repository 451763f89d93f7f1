/** What both modes share: the status bar, the events log, the plot, the robot's output, and the token flow. */
import type { EventLog } from './events-log.js';
import type { LinkState } from './link.js';
import type { LivePlot } from './plot.js';
import type { RobotConsole } from './robot-console.js';
import type { StatusView } from './status.js';

export interface Shared {
  status: StatusView;
  log: EventLog;
  plot: LivePlot;
  /** Robot stdout/stderr (`robot_log`). */
  console: RobotConsole;
  /** Put a connection change in the events timeline. */
  timeline(state: LinkState): void;
  /** The broker refused the token: forget it and ask for another. */
  tokenRefused(): void;
}
