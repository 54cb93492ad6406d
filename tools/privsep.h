/*
 * Privilege separation: the one place that decides who does the file work
 * of an account, and does it as that user.
 *
 * Root never works inside a directory that a less privileged user can
 * write. Postfix's accounts (--for postfix), and any account whose
 * directory or token file belongs to another user, are read, locked,
 * refreshed, replaced and removed by a child process that has dropped to
 * that user (setgroups, setgid, setuid), so the kernel's own permission
 * checks apply and nothing root can reach is at stake: a name planted there
 * as a symbolic or hard link can only lead to files that user could open
 * anyway (and the token store refuses those too, safe_file.h). Root acts
 * itself only on its own files, in directories no one else can write, and
 * there with descriptors (openat, O_NOFOLLOW, O_EXCL, fstat, fchown).
 *
 * `watch --for postfix` and `test --for postfix` become the postfix user
 * for good once the configuration is read (privsep_become_postfix).
 */
#ifndef SASL_OAUTH2_PRIVSEP_H
#define SASL_OAUTH2_PRIVSEP_H

#include <stddef.h>
#include <sys/types.h>

#include "account.h"
#include "sasl-oauth2/error.h"

/* Who works on an account's files. */
struct privsep_user {
	uid_t uid;
	gid_t gid;
	char name[64];   /* login name, "" when the uid has none */
	int self;        /* non-zero: this process is that user already */
};

/*
 * Decides who works on acct's files: the postfix user for --for postfix;
 * the caller when it is not root; for root, the owner of the account's
 * directory when that is not root, else the owner of the token file when
 * that is not root, else root itself. Refuses (OA2_ERR_UNSAFE, err says
 * what was found) an account directory that is a symbolic link or not a
 * directory, whoever acts; and, when root acts (itself or as the owner), a
 * directory from the account's up to / that belongs to someone other than
 * root and that owner, or is writable by group or others (privsep_path.h).
 */
int privsep_owner(const struct account *acct, struct privsep_user *who, struct oa2_err *err);

/*
 * Runs fn(ctx) as acct's owner (privsep_owner): in this process when that
 * is the caller, else in a child that drops to the owner first and then
 * sends back its return value and the `backlen` bytes at `back` (fn's
 * results; the child's copy of ctx is not seen by the caller). The child
 * shares stdout and stderr (stdio is flushed before the fork). Returns
 * OA2_OK with fn's return value in *result, or an error with err set when
 * fn could not be run (nothing was done then).
 */
int privsep_run(const struct account *acct, int (*fn)(void *ctx), void *ctx, void *back,
		size_t backlen, int *result, struct oa2_err *err);

/* privsep_run for an fn that returns an oa2_rc and, on failure, sets
 * *fn_err (which must lie inside ctx; it is sent back). Returns fn's
 * return code, with err set from fn_err, or why fn could not be run. */
int privsep_run_rc(const struct account *acct, int (*fn)(void *ctx), void *ctx,
		   struct oa2_err *fn_err, struct oa2_err *err);

/* privsep_run for a command: fn returns an exit code, which is returned;
 * when fn could not be run, prints why (prefixed with acct's name) and
 * returns the exit code for that. */
int privsep_command(const struct account *acct, int (*fn)(void *ctx), void *ctx, void *back,
		    size_t backlen);

/*
 * Creates acct's directory when missing: 0700, its owner's. The owner
 * creates it when the parent is not root's alone; root creates it in a
 * parent no one else can write with mkdirat, opens it with O_NOFOLLOW and
 * hands it over with fchown on the descriptor (never chown by path). An
 * existing directory that is a symbolic link is refused.
 */
int privsep_make_dir(const struct account *acct, struct oa2_err *err);

/* Switches this process for good to the user who works on acct's files
 * (privsep_owner): for a command that does nothing else as root after it.
 * Returns CLI_OK, or prints why not (naming cmd) and returns an exit code. */
int privsep_become_owner(const struct account *acct, const char *cmd);

/* Switches this process to the postfix user for good when running as root;
 * fine when already running as postfix. Returns CLI_OK, or prints why not
 * (naming cmd) and returns an exit code. */
int privsep_become_postfix(const char *cmd);

#endif
