/**
 * A model run the dashboard can drive as it drives a live lab: the simulation advanced a step of
 * virtual time per tick, paced to the wall clock (× speed), or as fast as it goes at top speed;
 * a snapshot per tick, the same type a live lab publishes. Joins, leaves, kills and new
 * subscribers are a live lab's: a model replay says so.
 */
import { MdlabError } from '../errors.js';
import type { LabConfig } from '../experiment/config.js';
import type { LabSnapshot } from '../experiment/snapshot.js';
import type { SubscriberSettings } from '../subscriber/settings.js';
import { buildModelInput, loadModelFeed, modelSnapshot, type Built } from './model-run.js';
import type { Profile } from './profile.js';
import { newOutput, simulation, type ModelOutput, type Simulation } from './simulate.js';

const TICK_MS = 250;
/** Virtual time per tick at top speed. */
const TOP_SPEED_STEP_NS = 2e9;

type Listener = (s: LabSnapshot) => void;

export class ModelLab {
  private readonly listeners = new Set<Listener>();
  private built: Built | undefined;
  private out: ModelOutput | undefined;
  private sim: Simulation | undefined;
  private readonly warnings: string[] = [];
  private virtualNs = 0;
  private speed: number;
  private paused = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private done = false;
  private resolveFinish!: (s: LabSnapshot) => void;
  private readonly finished = new Promise<LabSnapshot>((r) => (this.resolveFinish = r));

  constructor(private readonly config: LabConfig, private readonly profile: Profile, private readonly options: { durationNs?: number | null; speed?: number } = {}) {
    this.speed = options.speed ?? config.speed;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  get speedNow(): number {
    return this.speed;
  }

  async start(): Promise<void> {
    const { feed } = await loadModelFeed(this.config);
    this.built = buildModelInput(this.config, feed, this.profile, { durationNs: this.options.durationNs ?? undefined, speed: this.options.speed }, this.warnings);
    this.out = newOutput(this.built.input);
    this.sim = simulation(this.built.input, this.out);
    this.publish('running');
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    if (this.paused || this.done || !this.sim) return;
    this.virtualNs += this.speed === 0 ? TOP_SPEED_STEP_NS : TICK_MS * 1e6 * this.speed;
    if (this.sim.runUntil(this.virtualNs)) this.end();
    else this.publish('running');
  }

  private snapshot(state: LabSnapshot['state']): LabSnapshot {
    const s = modelSnapshot(this.config, this.profile, this.built!, this.out!, this.warnings);
    s.state = state;
    if (state !== 'done') s.runMs = this.virtualNs / 1e6;
    s.nic.paused = this.paused;
    s.nic.done = state === 'done';
    s.nic.speed = this.speed;
    return s;
  }

  private publish(state: LabSnapshot['state']): void {
    const s = this.snapshot(state);
    for (const l of this.listeners) l(s);
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    const s = this.snapshot('done');
    for (const l of this.listeners) l(s);
    this.resolveFinish(s);
  }

  pause(): void {
    this.paused = true;
    this.publish('paused');
  }

  resume(): void {
    this.paused = false;
    this.publish('running');
  }

  setSpeed(x: number): void {
    this.speed = x;
  }

  /** Ends the replay where it is: what was simulated so far is the result. */
  stop(): void {
    if (!this.sim) {
      this.done = true;
      return;
    }
    this.end();
  }

  finish(): Promise<LabSnapshot> {
    return this.finished;
  }

  async teardown(): Promise<void> {
    clearInterval(this.timer);
  }

  settingsOf(name: string): SubscriberSettings {
    const s = this.config.subscribers.find((x) => x.name === name);
    if (!s) throw new MdlabError(`no subscriber named ${name}`);
    return s;
  }

  private notLive(): Promise<never> {
    return Promise.reject(new MdlabError('a model replay plays the config\'s memberships: join, leave, kill and new subscribers are for the live lab'));
  }

  join(_sub: string, _group: string): Promise<void> {
    return this.notLive();
  }

  leave(_sub: string, _group: string): Promise<void> {
    return this.notLive();
  }

  kill(_sub: string): Promise<void> {
    return this.notLive();
  }

  addSubscriber(_s: SubscriberSettings): Promise<void> {
    return this.notLive();
  }
}
