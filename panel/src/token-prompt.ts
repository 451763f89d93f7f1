/** The "paste your token" dialog: shown when there is no token or the broker refused it. */
import { $ } from './dom.js';
import { parseTokenInput } from './session.js';

export class TokenPrompt {
  private readonly dialog = $<HTMLDialogElement>('token-dialog');
  private readonly form = $<HTMLFormElement>('token-form');
  private readonly input = $<HTMLInputElement>('token-input');
  private readonly reason = $('token-reason');

  constructor(onToken: (token: string) => void) {
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = parseTokenInput(this.input.value);
      if (!token) {
        this.input.focus();
        return;
      }
      this.input.value = '';
      this.dialog.close();
      onToken(token);
    });
    // The panel is useless without a token: Escape does not dismiss the prompt.
    this.dialog.addEventListener('cancel', (ev) => ev.preventDefault());
  }

  ask(reason: 'missing' | 'refused'): void {
    this.reason.textContent =
      reason === 'refused'
        ? 'The broker refused that token. It was rotated (npm start -- --new-token), or this is another broker: `npx robot-control url` on the robot prints the panel URL with the current one.'
        : 'No access token yet. Open the panel from the URL the broker prints at start (it ends in ?token=…; `npx robot-control url` prints it again), or paste the token or that URL here.';
    this.dialog.dataset.reason = reason;
    if (!this.dialog.open) this.dialog.showModal();
    this.input.focus();
  }
}
