/*
 * `mdlab record`'s receive side: UDP multicast sockets with the kernel's own receive timestamp
 * (SO_TIMESTAMPNS, CLOCK_REALTIME, taken when the datagram reached the host) and the kernel's
 * drop count at the socket (SO_RXQ_OVFL: sk_drops, a full receive buffer), read in batches
 * with recvmmsg. Node's dgram gives neither. Everything is non-blocking except captureWait,
 * which polls the sockets for at most the given milliseconds.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif

#define META_FIELDS 8
#define MAX_BATCH 256

#include <stdio.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[300];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ECAPTURE", msg);
  return NULL;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

/* An IPv4 socket address from host-order address and port. */
static struct sockaddr_in ipv4(uint32_t addr, uint32_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(addr);
  return a;
}

/* The one argument of fd-only calls: 0 with *fd set, or -1 with a RangeError thrown. */
static int fd_arg(napi_env env, napi_callback_info info, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], fd) != napi_ok) {
    napi_throw_range_error(env, "EINVAL", "expected a file descriptor");
    return -1;
  }
  return 0;
}

/* A socket set up step by step: the fd, or (a step failed) the fd closed and that step's error thrown. */
static napi_value opened(napi_env env, int fd, const char *failedStep) {
  if (failedStep) {
    int err = errno;
    close(fd);
    return throw_errno(env, failedStep, err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/*
 * Sets a socket buffer: the forcing option first where one is given (it passes the sysctl cap
 * where the process may: CAP_NET_ADMIN), else or then the ordinary one, capped as an ordinary
 * application's request is. 0, or -1 with errno set.
 */
static int set_buffer(int fd, int force_opt, int opt, uint32_t bytes) {
  int want = (int)(bytes > 0x3fffffff ? 0x3fffffff : bytes);
  if (force_opt && setsockopt(fd, SOL_SOCKET, force_opt, &want, sizeof want) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &want, sizeof want);
}

/*
 * captureOpen(group, port, interface, rcvbuf[, force]) → fd: joined on `interface`, bound to the
 * group. force (default 1): SO_RCVBUFFORCE where permitted; 0 asks SO_RCVBUF only, capped by
 * net.core.rmem_max as an ordinary application's request is (a subscriber's kernel socket).
 */
static napi_value capture_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint32_t group, port, iface, rcvbuf, force = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || get_u32(env, argv[0], &group) || get_u32(env, argv[1], &port) || get_u32(env, argv[2], &iface) || get_u32(env, argv[3], &rcvbuf) || port > 65535 || (argc >= 5 && get_u32(env, argv[4], &force))) {
    napi_throw_range_error(env, "EINVAL", "expected (group, port, interface, rcvbuf[, force]) as unsigned integers");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "cannot open a UDP socket", errno);
  int one = 1, zero = 0;
  struct sockaddr_in addr = ipv4(group, port);
  struct ip_mreq mreq;
  mreq.imr_multiaddr.s_addr = htonl(group);
  mreq.imr_interface.s_addr = htonl(iface);
  const char *step = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) step = "cannot set SO_REUSEADDR";
  else if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) step = "cannot bind to the group";
  else if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) step = "cannot join the group";
  else if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero) != 0) step = "cannot clear IP_MULTICAST_ALL";
  else if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) step = "cannot enable SO_TIMESTAMPNS";
  else if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0) step = "cannot enable SO_RXQ_OVFL";
  /* SO_RCVBUFFORCE passes net.core.rmem_max where the process may (CAP_NET_ADMIN); else the capped SO_RCVBUF. */
  if (!step && rcvbuf > 0 && set_buffer(fd, force ? SO_RCVBUFFORCE : 0, SO_RCVBUF, rcvbuf) != 0) step = "cannot set SO_RCVBUF";
  return opened(env, fd, step);
}

/* A socket's buffer size as the kernel reports it (SO_RCVBUF or SO_SNDBUF: twice the request), as a JS number. */
static napi_value buffer_size(napi_env env, int fd, int opt, const char *what) {
  int size = 0;
  socklen_t len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, opt, &size, &len) != 0) return throw_errno(env, what, errno);
  napi_value result;
  napi_create_int32(env, size, &result);
  return result;
}

/* captureRcvbuf(fd) → the receive buffer the kernel granted (bytes, as SO_RCVBUF reports: twice the request). */
static napi_value capture_rcvbuf(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (fd_arg(env, info, &fd)) return NULL;
  return buffer_size(env, fd, SO_RCVBUF, "cannot read SO_RCVBUF");
}

/*
 * socketSendBuffer(fd, bytes) → the send buffer the kernel granted (as SO_SNDBUF reports: twice
 * the request). SO_SNDBUFFORCE passes net.core.wmem_max where the process may; else the capped
 * SO_SNDBUF. For the NIC's offloaded stream sockets: a stream socket's queue is its sender's.
 */
static int send_buffer_args(napi_env env, napi_callback_info info, int32_t *fd, uint32_t *bytes) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double want = 0;
  if (argc == 2 && napi_get_value_int32(env, argv[0], fd) == napi_ok && *fd >= 0 && napi_get_value_double(env, argv[1], &want) == napi_ok && want >= 1 && want <= 4294967295.0) {
    *bytes = (uint32_t)want;
    return 0;
  }
  napi_throw_range_error(env, "EINVAL", "expected (fd, bytes) with bytes above 0");
  return -1;
}

static napi_value socket_send_buffer(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  uint32_t bytes = 0;
  if (send_buffer_args(env, info, &fd, &bytes)) return NULL;
  if (set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes) != 0) return throw_errno(env, "cannot set SO_SNDBUF", errno);
  return buffer_size(env, fd, SO_SNDBUF, "cannot read SO_SNDBUF");
}

/*
 * captureRead(fd, buffer, slotSize, meta) → n datagrams read (0: none queued). Datagram i is
 * at buffer[i*slotSize], and meta[i*8 ..] = length, source address, source port, kernel time
 * seconds, nanoseconds, drops so far (sk_drops; -1 if the kernel sent none), truncated (0/1),
 * and how long it waited in the socket: ns from the kernel's stamp to this read, on the stamp's
 * own clock (one clock read per call; -1 without a stamp). For a reader that sleeps, that wait
 * is its wake-up: what the host, not the path, costs it.
 */
static napi_value capture_read(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd = -1;
  uint32_t slot = 0;
  void *buf = NULL;
  size_t buflen = 0;
  napi_typedarray_type mtype;
  size_t mlen = 0;
  void *mdata = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool ok = argc >= 4 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && napi_get_buffer_info(env, argv[1], &buf, &buflen) == napi_ok &&
            get_u32(env, argv[2], &slot) == 0 && napi_get_typedarray_info(env, argv[3], &mtype, &mlen, &mdata, NULL, NULL) == napi_ok &&
            mtype == napi_float64_array && slot > 0;
  if (!ok) {
    napi_throw_range_error(env, "EINVAL", "expected (fd, Buffer, slotSize, Float64Array)");
    return NULL;
  }
  size_t n = buflen / slot;
  if (n > mlen / META_FIELDS) n = mlen / META_FIELDS;
  if (n > MAX_BATCH) n = MAX_BATCH;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iovs[MAX_BATCH];
  struct sockaddr_in from[MAX_BATCH];
  char control[MAX_BATCH][128];
  memset(msgs, 0, sizeof(struct mmsghdr) * n);
  for (size_t i = 0; i < n; i++) {
    iovs[i].iov_base = (char *)buf + i * slot;
    iovs[i].iov_len = slot;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  int got = n == 0 ? 0 : recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) got = 0;
    else return throw_errno(env, "cannot receive", errno);
  }
  double *meta = (double *)mdata;
  struct timespec readAt = {0, 0};
  if (got > 0) clock_gettime(CLOCK_REALTIME, &readAt);
  for (int i = 0; i < got; i++) {
    double *m = meta + (size_t)i * META_FIELDS;
    m[0] = (double)msgs[i].msg_len;
    m[1] = (double)ntohl(from[i].sin_addr.s_addr);
    m[2] = (double)ntohs(from[i].sin_port);
    m[3] = -1;
    m[4] = 0;
    m[5] = -1;
    m[6] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 1 : 0;
    m[7] = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        m[3] = (double)ts.tv_sec;
        m[4] = (double)ts.tv_nsec;
        double waited = (double)(readAt.tv_sec - ts.tv_sec) * 1e9 + (double)(readAt.tv_nsec - ts.tv_nsec);
        m[7] = waited < 0 ? 0 : waited;
      } else if (c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops;
        memcpy(&drops, CMSG_DATA(c), sizeof drops);
        m[5] = (double)drops;
      }
    }
  }
  napi_value result;
  napi_create_int32(env, got, &result);
  return result;
}

/* captureWait(fds[], ms) → how many of the sockets have datagrams queued (0 after ms). */
static napi_value capture_wait(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t count = 0, ms = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool isArray = false;
  if (argc < 2 || napi_is_array(env, argv[0], &isArray) != napi_ok || !isArray || napi_get_array_length(env, argv[0], &count) != napi_ok || get_u32(env, argv[1], &ms) || count > 1024) {
    napi_throw_range_error(env, "EINVAL", "expected (fds[], milliseconds)");
    return NULL;
  }
  struct pollfd pfds[1024];
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    int32_t fd = -1;
    napi_get_element(env, argv[0], i, &v);
    napi_get_value_int32(env, v, &fd);
    pfds[i].fd = fd;
    pfds[i].events = POLLIN;
    pfds[i].revents = 0;
  }
  int r = poll(pfds, count, (int)(ms > 1000 ? 1000 : ms));
  if (r < 0 && errno != EINTR) return throw_errno(env, "cannot poll", errno);
  napi_value result;
  napi_create_int32(env, r < 0 ? 0 : r, &result);
  return result;
}

static napi_value capture_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return NULL;
}

/*
 * The NIC's interrupt to a blocked reader (a doorbell): udpOpen(addr, port) → a non-blocking UDP
 * socket bound to addr:port (port 0: any); udpPort(fd) → its port; udpSend(fd, addr, port, buffer)
 * → bytes sent (0 when the queue is full: a doorbell already waiting does the same job). Its
 * datagrams carry the kernel's receive stamp, so a reader can tell how long its wake-up took.
 */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t addr, port;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || get_u32(env, argv[0], &addr) || get_u32(env, argv[1], &port) || port > 65535) {
    napi_throw_range_error(env, "EINVAL", "expected (address, port) as unsigned integers");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "cannot open a UDP socket", errno);
  struct sockaddr_in a = ipv4(addr, port);
  int one = 1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "cannot bind", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value udp_port(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (fd_arg(env, info, &fd)) return NULL;
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return throw_errno(env, "cannot read the socket's address", errno);
  napi_value result;
  napi_create_int32(env, ntohs(a.sin_port), &result);
  return result;
}

static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd = -1;
  uint32_t addr, port;
  void *buf = NULL;
  size_t len = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || get_u32(env, argv[1], &addr) || get_u32(env, argv[2], &port) || port > 65535 ||
      napi_get_buffer_info(env, argv[3], &buf, &len) != napi_ok) {
    napi_throw_range_error(env, "EINVAL", "expected (fd, address, port, Buffer)");
    return NULL;
  }
  struct sockaddr_in a = ipv4(addr, port);
  ssize_t n = sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof a);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == ECONNREFUSED || errno == EINTR) n = 0;
    else return throw_errno(env, "cannot send", errno);
  }
  napi_value result;
  napi_create_int32(env, (int32_t)n, &result);
  return result;
}

/*
 * The kernel path's sender, as the NIC hands a packet to the host's stack: mcastOpen(group, port,
 * iface) → a blocking UDP socket bound to iface:0, connected to group:port, multicast out of
 * iface with TTL 0 (it never leaves the host) and loopback on; mcastSend(fd, buffer, offset,
 * length) → bytes sent, from the buffer in place (no copy, no allocation). It blocks rather than
 * drop: a full receiver drops at its own queue, counted there (SO_RXQ_OVFL).
 */
static napi_value mcast_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  uint32_t group, port, iface;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || get_u32(env, argv[0], &group) || get_u32(env, argv[1], &port) || get_u32(env, argv[2], &iface) || port > 65535) {
    napi_throw_range_error(env, "EINVAL", "expected (group, port, interface) as unsigned integers");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "cannot open a UDP socket", errno);
  struct sockaddr_in local = ipv4(iface, 0), to = ipv4(group, port);
  struct in_addr ifaddr;
  ifaddr.s_addr = htonl(iface);
  int ttl = 0, loop = 1;
  const char *step = NULL;
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) step = "cannot bind";
  else if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr) != 0) step = "cannot set IP_MULTICAST_IF";
  else if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) step = "cannot set IP_MULTICAST_TTL";
  else if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0) step = "cannot set IP_MULTICAST_LOOP";
  else if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) step = "cannot connect to the group";
  return opened(env, fd, step);
}

static napi_value mcast_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd = -1;
  uint32_t off = 0, len = 0;
  void *buf = NULL;
  size_t buflen = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_buffer_info(env, argv[1], &buf, &buflen) != napi_ok ||
      get_u32(env, argv[2], &off) || get_u32(env, argv[3], &len) || (size_t)off > buflen || (size_t)len > buflen - off) {
    napi_throw_range_error(env, "EINVAL", "expected (fd, Buffer, offset, length) within the buffer");
    return NULL;
  }
  ssize_t n;
  do n = send(fd, (char *)buf + off, len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ECONNREFUSED || errno == ENOBUFS) n = 0;
    else return throw_errno(env, "cannot send", errno);
  }
  napi_value result;
  napi_create_int32(env, (int32_t)n, &result);
  return result;
}

/* realtimeNow() → [seconds, nanoseconds] of CLOCK_REALTIME, the clock SO_TIMESTAMPNS uses. */
static napi_value realtime_now(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  napi_value arr, s, ns;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_double(env, (double)ts.tv_sec, &s);
  napi_create_double(env, (double)ts.tv_nsec, &ns);
  napi_set_element(env, arr, 0, s);
  napi_set_element(env, arr, 1, ns);
  return arr;
}

void mdlab_define_capture(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"captureOpen", NULL, capture_open, NULL, NULL, NULL, napi_default, NULL},
    {"captureRcvbuf", NULL, capture_rcvbuf, NULL, NULL, NULL, napi_default, NULL},
    {"socketSendBuffer", NULL, socket_send_buffer, NULL, NULL, NULL, napi_default, NULL},
    {"captureRead", NULL, capture_read, NULL, NULL, NULL, napi_default, NULL},
    {"captureWait", NULL, capture_wait, NULL, NULL, NULL, napi_default, NULL},
    {"captureClose", NULL, capture_close, NULL, NULL, NULL, napi_default, NULL},
    {"realtimeNow", NULL, realtime_now, NULL, NULL, NULL, napi_default, NULL},
    {"udpOpen", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
    {"udpPort", NULL, udp_port, NULL, NULL, NULL, napi_default, NULL},
    {"udpSend", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
    {"mcastOpen", NULL, mcast_open, NULL, NULL, NULL, napi_default, NULL},
    {"mcastSend", NULL, mcast_send, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
