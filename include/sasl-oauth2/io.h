/* Small POSIX I/O helpers. */
#ifndef SASL_OAUTH2_IO_H
#define SASL_OAUTH2_IO_H

#include <stddef.h>

/* Writes all n bytes at p to fd, retrying short writes and EINTR. Returns 0,
 * or -1 with errno set. */
int oa2_write_all(int fd, const void *p, size_t n);

#endif
