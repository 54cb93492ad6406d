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

enum oa2_remedy {
	OA2_REMEDY_AUTHORIZE, /* sign the account in again */
	OA2_REMEDY_DOCTOR,    /* check an app-only setup after fixing it */
	OA2_REMEDY_KEYGEN,    /* make a key (and certificate) */
};

/* "sasl-oauth2 authorize", ...: static, never NULL. */
const char *oa2_remedy_command(enum oa2_remedy r);

#endif
