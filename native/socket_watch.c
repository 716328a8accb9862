/*
 * A subscriber's kernel sockets read natively (issue 16): the event loop is told when a socket
 * is readable (a uv_poll on the addon's own socket, in Node's own loop), and the callback drains
 * it with recvmmsg (udp_capture.c's captureRead) into buffers allocated once. Node's dgram
 * makes a Buffer, an event and a JavaScript call per datagram; this makes one call per batch.
 */
#include <node_api.h>
#include <uv.h>
#include <stdlib.h>

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int closing;
} watch_t;

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  watch_t *w = (watch_t *)h->data;
  if (w->closing) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv); /* make_callback wants an object as its receiver */
  /* status < 0: the socket failed; the callback is told (-1) and reads nothing. */
  napi_create_int32(env, status < 0 ? -1 : 0, &arg);
  if (napi_make_callback(env, w->ctx, recv, cb, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* socketWatch(fd, callback) → a handle: callback(status) runs whenever fd is readable, until socketUnwatch. */
static napi_value socket_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) {
    napi_throw_range_error(env, "EINVAL", "expected (fd, callback)");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    napi_throw_error(env, "EWATCH", "no event loop");
    return NULL;
  }
  watch_t *w = (watch_t *)calloc(1, sizeof *w);
  if (!w) {
    napi_throw_error(env, "ENOMEM", "cannot watch the socket");
    return NULL;
  }
  w->env = env;
  w->poll.data = w;
  napi_value name;
  napi_create_string_utf8(env, "mdlab:kernel-socket", NAPI_AUTO_LENGTH, &name);
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    napi_throw_error(env, "EWATCH", uv_strerror(rc));
    return NULL;
  }
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_async_init(env, NULL, name, &w->ctx);
  rc = uv_poll_start(&w->poll, UV_READABLE, on_poll);
  if (rc != 0) {
    w->closing = 1;
    napi_delete_reference(env, w->cb);
    napi_async_destroy(env, w->ctx);
    uv_close((uv_handle_t *)&w->poll, on_closed);
    napi_throw_error(env, "EWATCH", uv_strerror(rc));
    return NULL;
  }
  napi_value handle;
  napi_create_external(env, w, NULL, NULL, &handle);
  return handle;
}

/* socketUnwatch(handle): no more callbacks; the handle is freed once libuv has closed it. Twice is harmless. */
static napi_value socket_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *p = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || !p) {
    napi_throw_range_error(env, "EINVAL", "expected a handle from socketWatch");
    return NULL;
  }
  watch_t *w = (watch_t *)p;
  if (!w->closing) {
    w->closing = 1;
    uv_poll_stop(&w->poll);
    napi_delete_reference(env, w->cb);
    napi_async_destroy(env, w->ctx);
    uv_close((uv_handle_t *)&w->poll, on_closed);
  }
  return NULL;
}

napi_value socket_watch_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"socketWatch", NULL, socket_watch, NULL, NULL, NULL, napi_default, NULL},
    {"socketUnwatch", NULL, socket_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
