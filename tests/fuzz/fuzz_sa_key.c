/* Fuzz target: Google service account key files (bytes from disk). */
#include <stdint.h>
#include <string.h>

#include "sasl-oauth2/sa_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa2_sa_key k;
	struct oa2_err err;

	if (oa2_sa_key_parse((const char *)data, size, "fuzz", &k, &err) == OA2_OK) {
		/* What the assertion needs is there, or the parse had to fail. */
		if (k.client_email == NULL || k.key == NULL)
			__builtin_trap();
		oa2_sa_key_clear(&k);
	} else if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL || k.key != NULL) {
		__builtin_trap();
	}
	return 0;
}
