/* Fuzz target: token file parsing (bytes from disk). */
#include <stdint.h>
#include <string.h>

#include "sasl-oauth2/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa2_token tok;
	struct oa2_err err;

	memset(&tok, 0, sizeof(tok));
	if (oa2_token_parse((const char *)data, size, "fuzz", &tok, &err) == OA2_OK) {
		/* A parsed token must satisfy the bounds the mechanisms rely on. */
		if (tok.access_token == NULL || strlen(tok.access_token) > OA2_ACCESS_TOKEN_MAX ||
		    (tok.user != NULL && strlen(tok.user) > OA2_USER_MAX))
			__builtin_trap();
		oa2_token_clear(&tok);
	} else if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL) {
		__builtin_trap();
	}
	return 0;
}
