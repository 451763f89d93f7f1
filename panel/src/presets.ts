/**
 * Named presets per method: args saved under a name ("slow forward": `{"vx": 0.2}`),
 * run with one click. Kept in localStorage, per `object.method`, across sessions.
 */
import { $, h, stored } from './dom.js';

const KEY = 'robot-control.presets';
const MAX_PER_METHOD = 20;

export interface Preset {
  name: string;
  /** The args as JSON text ('' for none), exactly as the editor had them. */
  args: string;
}

type All = Record<string, Preset[]>;

export const presetStore = {
  list(object: string, method: string): Preset[] {
    return stored.get<All>(localStorage, KEY, {})[`${object}.${method}`] ?? [];
  },
  save(object: string, method: string, preset: Preset): void {
    const all = stored.get<All>(localStorage, KEY, {});
    const list = (all[`${object}.${method}`] ?? []).filter((p) => p.name !== preset.name);
    list.push(preset);
    all[`${object}.${method}`] = list.slice(-MAX_PER_METHOD);
    stored.set(localStorage, KEY, all);
  },
  remove(object: string, method: string, name: string): void {
    const all = stored.get<All>(localStorage, KEY, {});
    all[`${object}.${method}`] = (all[`${object}.${method}`] ?? []).filter((p) => p.name !== name);
    stored.set(localStorage, KEY, all);
  },
};

/** The presets row of the call editor: chips that run, × that deletes, a name field and Save. */
export class PresetBar {
  private readonly list = $('preset-list');
  private readonly name = $<HTMLInputElement>('preset-name');
  private readonly saveBtn = $<HTMLButtonElement>('preset-save');
  private target: { object: string; method: string } | null = null;
  private argsOk = false;

  constructor(
    /** The editor's current args text, to save. */
    private readonly currentArgs: () => string,
    /** Run a preset now. */
    private readonly run: (object: string, method: string, preset: Preset) => void,
  ) {
    this.saveBtn.addEventListener('click', () => this.save());
    this.name.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.save();
      }
    });
    this.name.addEventListener('input', () => this.renderSave());
  }

  /** The method picked (null: none), and whether the editor's args are valid to save. */
  setTarget(target: { object: string; method: string } | null, argsOk: boolean): void {
    const changed = target?.object !== this.target?.object || target?.method !== this.target?.method;
    this.target = target;
    this.argsOk = argsOk;
    if (changed) this.render();
    else this.renderSave();
  }

  private save(): void {
    const name = this.name.value.trim();
    if (!this.target || !name || !this.argsOk) return;
    presetStore.save(this.target.object, this.target.method, { name, args: this.currentArgs().trim() });
    this.name.value = '';
    this.render();
  }

  private render(): void {
    const t = this.target;
    const presets = t ? presetStore.list(t.object, t.method) : [];
    this.list.replaceChildren(
      ...presets.map((p) =>
        h(
          'span',
          { class: 'preset', data: { preset: p.name } },
          h('button', { class: 'preset-run', text: `▶ ${p.name}`, title: `Run ${t!.object}.${t!.method}(${p.args}) now`, onclick: () => this.run(t!.object, t!.method, p) }),
          h('button', {
            class: 'preset-del',
            text: '×',
            title: `Forget "${p.name}"`,
            onclick: () => {
              presetStore.remove(t!.object, t!.method, p.name);
              this.render();
            },
          }),
        ),
      ),
    );
    this.list.hidden = presets.length === 0;
    this.renderSave();
  }

  private renderSave(): void {
    this.name.disabled = !this.target;
    this.saveBtn.disabled = !this.target || !this.argsOk || this.name.value.trim() === '';
  }
}
