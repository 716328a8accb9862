/**
 * Loaded by `node --require` before anything else in a lab's child process (the NIC, a
 * subscriber): from its first line the child follows the controller. The kernel sends it
 * SIGKILL when the controller dies, however it dies (PR_SET_PDEATHSIG through the addon);
 * a controller that died before this line ran is seen in getppid() and the child leaves at once.
 * So no child outlives its lab, even one still loading its modules when the controller went.
 *
 * The child also leads a process group of its own (in the controller's session, so the kernel's
 * per-session CPU grouping is as before): a terminal's Ctrl-C, and timeout(1)'s signal, go to the
 * user's job, and reach the controller, which ends the run and stops its children. Reaching them
 * too, they died first: their packets were process-exit drops and the run an error.
 */
const controller = Number(process.env.MDLAB_CONTROLLER_PID);
if (Number.isInteger(controller) && controller > 0) {
  let parent: number;
  try {
    const addon = require('../../build/Release/mdlab_shm.node') as { parentDeathSignal(signal: number): number; ownProcessGroup(): number };
    parent = addon.parentDeathSignal(9);
    addon.ownProcessGroup();
  } catch {
    parent = process.ppid;
  }
  if (parent !== controller) process.exit(0);
}
