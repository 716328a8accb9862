/**
 * Model mode in the dashboard: a model replay drives the same views, paced in virtual time, and
 * the header says plainly that it is a model, and which profile.
 */
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/dashboard/App.js';
import { themeFor } from '../../src/dashboard/theme.js';
import { INITIAL_UI } from '../../src/dashboard/ui-state.js';
import { loadConfig } from '../../src/experiment/config.js';
import type { LabSnapshot } from '../../src/experiment/snapshot.js';
import { ModelLab } from '../../src/model/model-lab.js';
import { loadProfile } from '../../src/model/profile.js';
import { ROOT } from '../helpers/shared.js';

// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('a model replay in the dashboard', () => {
  it('publishes snapshots as virtual time goes (top speed here), ends balanced, and the header says MODEL and the profile', async () => {
    const config = loadConfig(join(ROOT, 'configs', 'ef-name-trap.yaml'));
    const lab = new ModelLab(config, loadProfile('host-2vcpu'), { speed: 0 });
    const seen: LabSnapshot[] = [];
    lab.subscribe((s) => seen.push(s));
    await lab.start();
    const final = await lab.finish();
    await lab.teardown();
    expect(seen.filter((s) => s.state === 'running').length).toBeGreaterThanOrEqual(1);
    expect(seen.at(-1)!.state).toBe('done');
    expect(final.totals.balanced).toBe(true);
    // Virtual time only moves forward, and the counts with it.
    const sent = seen.map((s) => s.totals.sent);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    await expect(lab.kill('book1')).rejects.toThrow(/model replay plays the config's memberships/);

    const { lastFrame, unmount } = render(<App snapshot={final} ui={INITIAL_UI} theme={themeFor({ NO_COLOR: '1' })} width={100} height={30} history={new Map()} />);
    const lines = strip(lastFrame() ?? '').split('\n');
    unmount();
    expect(lines[0]).toMatch(/^ mdlab {2}model · ef-name-trap\.yaml · .*\[MODEL host-2vcpu\] ■ top/);
    expect(lines.join('\n')).toMatch(/mcast-conflict \(NIC cannot replicate\): book1 st0, book2 st1/);
  });
});
