/**
 * Loaded by `node --require` before anything else in a lab's child process (the NIC, a
 * subscriber): from its first line the child follows the controller. The kernel sends it
 * SIGKILL when the controller dies, however it dies (PR_SET_PDEATHSIG through the addon);
 * a controller that died before this line ran is seen in getppid() and the child leaves at once.
 * So no child outlives its lab, even one still loading its modules when the controller went.
 */
const controller = Number(process.env.MDLAB_CONTROLLER_PID);
if (Number.isInteger(controller) && controller > 0) {
  let parent: number;
  try {
    const addon = require('../../build/Release/mdlab_shm.node') as { parentDeathSignal(signal: number): number };
    parent = addon.parentDeathSignal(9);
  } catch {
    parent = process.ppid;
  }
  if (parent !== controller) process.exit(0);
}
