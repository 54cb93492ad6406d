/*
 * import's reading of the file it takes over (and of sasl-xoauth2's
 * configuration): as the user who owns the file's directory (privsep.h),
 * as every other command works on files, never as root through a name
 * another user chose. The file is opened with the checks of safe_file.h
 * (O_NOFOLLOW, a regular file with one link, owned by that user), then
 * read with ordinary blocking reads, at most OA2_TOKEN_FILE_MAX bytes: a
 * link, FIFO, device or directory is refused at once, naming the path.
 */
#ifndef SASL_OAUTH2_IMPORT_READ_H
#define SASL_OAUTH2_IMPORT_READ_H

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/error.h"

/* Reads file ("-": standard input) whole into b (initialised here; the
 * caller clears it with oa2_buf_clear). `what` names it in messages ("file
 * to import"). *mtime (may be NULL) is its modification time, 0 for
 * standard input. */
int import_read_file(const char *file, const char *what, struct oa2_buf *b, long long *mtime,
		     struct oa2_err *err);

#endif
