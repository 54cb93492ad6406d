#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "import_read.h"
#include "privsep.h"
#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/token.h"

/* What the reader sends back: flat, no pointers (privsep.h). */
struct read_back {
	struct oa2_err err;
	long long mtime;
	size_t len;                      /* OA2_TOKEN_FILE_MAX + 1: too big */
	char data[OA2_TOKEN_FILE_MAX + 1];
};

struct read_job {
	const char *file;
	const char *what;
	struct read_back *back;
};

/* Blocking reads up to the bound; a descriptor left non-blocking by
 * whoever gave it (standard input) waits in poll, never spins. */
static int read_bounded(int fd, const char *file, struct read_back *r)
{
	while (r->len <= OA2_TOKEN_FILE_MAX) {
		ssize_t n = read(fd, r->data + r->len, sizeof(r->data) - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			(void)poll(&p, 1, -1);
			continue;
		}
		if (n < 0)
			return oa2_err_set(&r->err, OA2_ERR_IO, "cannot read %s: %s", file,
					   strerror(errno));
		if (n == 0)
			break;
		r->len += (size_t)n;
	}
	return OA2_OK;
}

/* As the directory's owner: the safe open, then the read. */
static int read_as_owner(void *ctx)
{
	struct read_job *j = ctx;
	struct read_back *r = j->back;
	struct stat st;
	int fd, rc;

	fd = oa2_safe_open(j->file, O_RDONLY, OA2_SAFE_EXISTING, j->what, &st, &r->err);
	if (fd < 0)
		return r->err.rc;
	r->mtime = (long long)st.st_mtime;
	rc = read_bounded(fd, j->file, r);
	close(fd);
	return rc;
}

/* The file as an "account" of privsep's: its directory decides who reads. */
static int source_account(const char *file, struct account *a, struct oa2_err *err)
{
	const char *slash = strrchr(file, '/');

	memset(a, 0, sizeof(*a));
	a->owner = geteuid();
	a->group = getegid();
	if (snprintf(a->path, sizeof(a->path), "%s", file) >= (int)sizeof(a->path))
		return oa2_err_set(err, OA2_ERR_INVALID, "%s: path too long", file);
	if (slash == NULL)
		snprintf(a->dir, sizeof(a->dir), ".");
	else if (slash == file)
		snprintf(a->dir, sizeof(a->dir), "/");
	else
		snprintf(a->dir, sizeof(a->dir), "%.*s", (int)(slash - file), file);
	snprintf(a->name, sizeof(a->name), "%s", slash ? slash + 1 : file);
	return OA2_OK;
}

static int finish(const char *file, const struct read_back *r, struct oa2_buf *b,
		  long long *mtime, struct oa2_err *err)
{
	if (r->len > OA2_TOKEN_FILE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "%s is larger than %d bytes: not a token "
				   "file", file, OA2_TOKEN_FILE_MAX);
	if (r->len == 0)
		return oa2_err_set(err, OA2_ERR_PARSE, "%s is empty", file);
	if (oa2_buf_put(b, r->data, r->len) != 0 || b->failed)
		return oa2_err_set(err, OA2_ERR_NOMEM, "reading %s: out of memory", file);
	if (mtime != NULL)
		*mtime = r->mtime;
	return OA2_OK;
}

int import_read_file(const char *file, const char *what, struct oa2_buf *b, long long *mtime,
		     struct oa2_err *err)
{
	struct read_back *r = calloc(1, sizeof(*r));
	struct read_job j = { file, what, r };
	struct account src;
	int rc, result;

	oa2_buf_init(b, OA2_TOKEN_FILE_MAX + 1);
	if (r == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "reading %s: out of memory", file);
	if (strcmp(file, "-") == 0) {
		rc = read_bounded(STDIN_FILENO, "standard input", r);
		r->mtime = 0;
	} else {
		rc = source_account(file, &src, err);
		if (rc == OA2_OK)
			rc = privsep_run(&src, read_as_owner, &j, r, sizeof(*r), &result, err);
		if (rc == OA2_OK)
			rc = result;
	}
	if (rc != OA2_OK && r->err.rc != OA2_OK && err != NULL)
		*err = r->err;
	if (rc == OA2_OK)
		rc = finish(strcmp(file, "-") ? file : "standard input", r, b, mtime, err);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
	return rc;
}
