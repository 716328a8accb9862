{
  "targets": [
    {
      "target_name": "mdlab_shm",
      "sources": ["native/shm.c", "native/udp_capture.c", "native/socket_watch.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "libraries": ["-lrt"]
    }
  ]
}
