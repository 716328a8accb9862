/*
 * mdlab's shared-memory addon: POSIX shared memory segments (shm_open + mmap) as
 * ArrayBuffers, so that several processes map the same bytes. That is all it does.
 *
 *   create(name, size) -> ArrayBuffer   new segment, mode 0600, fails if it exists; its memory is
 *                                       allocated here (posix_fallocate), so that a full /dev/shm is
 *                                       one error at creation, not a SIGBUS at some later write
 *   open(name, prefault) -> ArrayBuffer an existing segment, its whole size; with prefault, every
 *                                       page is touched once through this mapping before it is
 *                                       returned (EF_PREFAULT_PACKETS: see prefault_pages)
 *   unlink(name)       -> boolean       removes the name (mappings stay valid)
 *   clockCell()        -> ArrayBuffer   8 bytes the clock writes into (a static cell of this process)
 *   clockNow()         -> undefined     writes CLOCK_MONOTONIC, in ns, into the cell: a clock read
 *                                       that allocates nothing (performance.now() boxes a heap
 *                                       number per call, and a spinning reader calls it millions
 *                                       of times a second: a scavenge every few ms, ~50 us each)
 *   setAffinity(cpus)  -> undefined     pins every thread of the process to these CPUs
 *                                       (sched_setaffinity per thread), as a trading host pins a
 *                                       spinning feed handler to its core. Every thread: V8's GC and
 *                                       compiler threads left on the old mask would run on a
 *                                       spinner's reserved core.
 *   getAffinity()      -> number[]      the CPUs this thread may run on (sched_getaffinity), so that
 *                                       a process that pinned itself for a while can put back the
 *                                       mask it was started with (its later children inherit it)
 *
 *   parentDeathSignal(sig) -> number  prctl(PR_SET_PDEATHSIG, sig): the kernel sends `sig` to this
 *                                       process when its parent dies, however it dies (SIGKILL
 *                                       included); returns getppid() read after, so that a parent
 *                                       that died before the call is seen (the caller compares).
 *   ownProcessGroup()  -> number          setpgid(0, 0): this process leads a process group of its
 *                                       own, in its parent's session, so that a signal to the
 *                                       user's job (a terminal's Ctrl-C, timeout(1)) reaches the
 *                                       lab's controller and not its children; returns the group.
 *
 * A mapping is unmapped when its ArrayBuffer is garbage collected. Names are checked
 * here as well as in JS: "/mdlab." followed by [A-Za-z0-9._-], at most 200 bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAME 200
#define MAX_SIZE ((size_t)1 << 34) /* 16 GiB: far above any lab's need, below overflow */

static napi_value throw_errno(napi_env env, const char *what, const char *name, int err) {
  char msg[400];
  /* "what name: reason", or "what: reason" when there is no segment name to give */
  snprintf(msg, sizeof msg, "%s%s%s: %s", what, name[0] ? " " : "", name, strerror(err));
  napi_throw_error(env, err == EEXIST ? "EEXIST" : err == ENOENT ? "ENOENT" : "ESHM", msg);
  return NULL;
}

static int valid_name(const char *s) {
  const char *prefix = "/mdlab.";
  size_t n = strlen(s);
  if (n <= strlen(prefix) || n > MAX_NAME || strncmp(s, prefix, strlen(prefix)) != 0) return 0;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return 0;
  }
  return 1;
}

static int get_name(napi_env env, napi_value v, char *out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, MAX_NAME + 2, &len) != napi_ok || len > MAX_NAME || !valid_name(out)) {
    napi_throw_type_error(env, "EINVAL", "segment name must be \"/mdlab.\" followed by letters, digits, '.', '_' or '-'");
    return 0;
  }
  return 1;
}

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value wrap(napi_env env, void *addr, size_t size) {
  napi_value ab;
  if (napi_create_external_arraybuffer(env, addr, size, unmap, (void *)(uintptr_t)size, &ab) != napi_ok) {
    munmap(addr, size);
    napi_throw_error(env, "ESHM", "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  return ab;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[MAX_NAME + 2];
  double dsize = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !get_name(env, argv[0], name)) return NULL;
  if (napi_get_value_double(env, argv[1], &dsize) != napi_ok || !(dsize >= 1) || dsize > (double)MAX_SIZE || dsize != (double)(size_t)dsize) {
    napi_throw_range_error(env, "EINVAL", "segment size must be a whole number of bytes, at least 1");
    return NULL;
  }
  size_t size = (size_t)dsize;
  int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) return throw_errno(env, "cannot create shared memory segment", name, errno);
  if (ftruncate(fd, (off_t)size) != 0) {
    int err = errno;
    close(fd);
    shm_unlink(name);
    return throw_errno(env, "cannot size shared memory segment", name, err);
  }
  /* Onload allocates a stack's packet buffers when it creates the stack (EF_PREALLOC_PACKETS),
   * and fails then if it cannot: so does a segment here. Without it, tmpfs allocates a page at
   * its first write, and a full /dev/shm kills that writer with SIGBUS mid-run. */
  int ferr = posix_fallocate(fd, 0, (off_t)size);
  if (ferr != 0) {
    close(fd);
    shm_unlink(name);
    return throw_errno(env, "cannot allocate shared memory segment", name, ferr);
  }
  void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (addr == MAP_FAILED) {
    shm_unlink(name);
    return throw_errno(env, "cannot map shared memory segment", name, err);
  }
  return wrap(env, addr, size);
}

/*
 * Reads one byte of every page through this process's mapping. The first access to a page through
 * a new mapping costs the kernel's page-table work (and, in a VM, the hypervisor's): measured on a
 * 2-vCPU VM, ~4 us a page even after MAP_POPULATE, ~140 ms for a 128 MB ring, paid by whichever
 * packet first lands in each page. Onload's EF_PREFAULT_PACKETS has the process touch its packet
 * buffers when the stack is created, "so that memory for these packet buffers is pre-allocated
 * and memory-mapped into the user-process address space" (UG1586, "Reducing Jitter from Memory
 * Allocation"). A read suffices: the writes after it were as fast as on a warm mapping.
 */
static void prefault_pages(const void *addr, size_t size) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  const volatile unsigned char *p = (const volatile unsigned char *)addr;
  for (size_t i = 0; i < size; i += (size_t)page) (void)p[i];
}

static napi_value open_segment(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char name[MAX_NAME + 2];
  bool prefault = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_name(env, argv[0], name)) return NULL;
  if (argc >= 2) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t != napi_undefined && (t != napi_boolean || napi_get_value_bool(env, argv[1], &prefault) != napi_ok)) {
      napi_throw_type_error(env, "EINVAL", "prefault must be true or false");
      return NULL;
    }
  }
  int fd = shm_open(name, O_RDWR, 0);
  if (fd < 0) return throw_errno(env, "cannot open shared memory segment", name, errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    int err = st.st_size <= 0 ? EINVAL : errno;
    close(fd);
    return throw_errno(env, "cannot size shared memory segment", name, err);
  }
  size_t size = (size_t)st.st_size;
  void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | (prefault ? MAP_POPULATE : 0), fd, 0);
  int err = errno;
  close(fd);
  if (addr == MAP_FAILED) return throw_errno(env, "cannot map shared memory segment", name, err);
  if (prefault) prefault_pages(addr, size);
  return wrap(env, addr, size);
}

static napi_value unlink_segment(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[MAX_NAME + 2];
  napi_value result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_name(env, argv[0], name)) return NULL;
  int ok = shm_unlink(name) == 0;
  if (!ok && errno != ENOENT) return throw_errno(env, "cannot unlink shared memory segment", name, errno);
  napi_get_boolean(env, ok, &result);
  return result;
}

/* Reads a non-empty array of CPU numbers into `set`; false (with a JS exception) if it is not one. */
static bool cpu_set_from(napi_env env, napi_value arr, cpu_set_t *set) {
  uint32_t n = 0;
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &n) != napi_ok || n == 0) {
    napi_throw_type_error(env, "EINVAL", "expected a non-empty array of CPU numbers");
    return false;
  }
  CPU_ZERO(set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t cpu = -1;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_int32(env, v, &cpu) != napi_ok || cpu < 0 || cpu >= CPU_SETSIZE) {
      napi_throw_range_error(env, "EINVAL", "CPU numbers must be whole numbers from 0");
      return false;
    }
    CPU_SET(cpu, set);
  }
  return true;
}

static napi_value set_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  cpu_set_t set;
  if (argc < 1) {
    napi_throw_type_error(env, "EINVAL", "expected a non-empty array of CPU numbers");
    return NULL;
  }
  if (!cpu_set_from(env, argv[0], &set)) return NULL;
  if (sched_setaffinity(0, sizeof set, &set) != 0) return throw_errno(env, "cannot set CPU affinity", "", errno);
  /* The process's other threads (V8's GC and compiler workers, libuv's pool) go with it: left
   * on the old mask they ran on a spinner's reserved core; on another core they wait behind the
   * NIC while a scavenge waits for them. A thread created later inherits its creator's mask; one
   * that exits meanwhile (ESRCH) is no longer a concern. */
  pid_t self = (pid_t)syscall(SYS_gettid);
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL) return NULL;
  struct dirent *e;
  while ((e = readdir(tasks)) != NULL) {
    char *end = NULL;
    long tid = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || tid <= 0 || (pid_t)tid == self) continue;
    if (sched_setaffinity((pid_t)tid, sizeof set, &set) != 0 && errno != ESRCH) {
      int err = errno;
      closedir(tasks);
      return throw_errno(env, "cannot set CPU affinity of a thread", "", err);
    }
  }
  closedir(tasks);
  return NULL;
}

static napi_value get_affinity(napi_env env, napi_callback_info info) {
  (void)info;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return throw_errno(env, "cannot read CPU affinity", "", errno);
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (!CPU_ISSET(cpu, &set)) continue;
    napi_value v;
    napi_create_int32(env, cpu, &v);
    napi_set_element(env, arr, n++, v);
  }
  return arr;
}

static double clock_cell[1];

static napi_value clock_cell_buffer(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value ab;
  if (napi_create_external_arraybuffer(env, clock_cell, sizeof clock_cell, NULL, NULL, &ab) != napi_ok) return NULL;
  return ab;
}

static napi_value clock_now(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  clock_cell[0] = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
  return NULL;
}

static napi_value parent_death_signal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t sig = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &sig) != napi_ok || sig < 0 || sig > 64) {
    napi_throw_range_error(env, "EINVAL", "expected a signal number from 0 to 64");
    return NULL;
  }
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig) != 0) return throw_errno(env, "cannot set the parent-death signal", "", errno);
  napi_value result;
  napi_create_int32(env, (int32_t)getppid(), &result);
  return result;
}

static napi_value own_process_group(napi_env env, napi_callback_info info) {
  (void)info;
  if (setpgid(0, 0) != 0) return throw_errno(env, "cannot start a process group", "", errno);
  napi_value result;
  napi_create_int32(env, (int32_t)getpgrp(), &result);
  return result;
}

void mdlab_define_capture(napi_env env, napi_value exports); /* udp_capture.c */
napi_value socket_watch_init(napi_env env, napi_value exports); /* socket_watch.c */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, open_segment, NULL, NULL, NULL, napi_default, NULL},
    {"unlink", NULL, unlink_segment, NULL, NULL, NULL, napi_default, NULL},
    {"setAffinity", NULL, set_affinity, NULL, NULL, NULL, napi_default, NULL},
    {"getAffinity", NULL, get_affinity, NULL, NULL, NULL, napi_default, NULL},
    {"clockCell", NULL, clock_cell_buffer, NULL, NULL, NULL, napi_default, NULL},
    {"clockNow", NULL, clock_now, NULL, NULL, NULL, napi_default, NULL},
    {"parentDeathSignal", NULL, parent_death_signal, NULL, NULL, NULL, napi_default, NULL},
    {"ownProcessGroup", NULL, own_process_group, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  mdlab_define_capture(env, exports);
  socket_watch_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
