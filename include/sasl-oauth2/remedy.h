/*
 * The sasl-oauth2 commands that fix what went wrong, in words.
 *
 * The plugin's log lines and the CLI's messages both end by naming the
 * command an admin runs next, so the words are shared; they live here and
 * only here. Modules elsewhere in lib/ know which remedy applies (a fact:
 * enum oa2_remedy) and never spell a command themselves; the unit group's
 * layer check keeps it so.
 */
#ifndef SASL_OAUTH2_REMEDY_H
#define SASL_OAUTH2_REMEDY_H

#include <stddef.h>

enum oa2_remedy {
	OA2_REMEDY_AUTHORIZE, /* sign the account in again */
	OA2_REMEDY_DOCTOR,    /* check an app-only setup after fixing it */
	OA2_REMEDY_KEYGEN,    /* make a key (and certificate) */
};

/* "sasl-oauth2 authorize", ...: static, never NULL. */
const char *oa2_remedy_command(enum oa2_remedy r);

/* How `sasl-oauth2 authorize` names the token file at path, for advice:
 * "NAME --for postfix" for chroot_dir/etc/sasl-oauth2/NAME.json (also as
 * seen inside the chroot), "NAME" for root's /var/lib/sasl-oauth2/NAME.json,
 * else the path itself. */
#define OA2_ACCOUNT_LABEL_MAX 4096
void oa2_remedy_account(const char *path, const char *chroot_dir, char *buf, size_t n);

#endif
