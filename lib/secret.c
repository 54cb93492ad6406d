#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/secret.h"

void oa2_secret_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void oa2_secret_free_str(char *s)
{
	if (s != NULL)
		oa2_secret_free(s, strlen(s));
}

char *oa2_secret_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
