/*
 * driver.c: replay files through a fuzz target without libFuzzer, so that
 * `make check` runs every decoder over the seed corpus.  Usage:
 *     fuzz-NAME FILE...
 * Prints one TAP line per file.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	int	 i;

	for (i = 1; i < argc; i++) {
		size_t	 len;
		char	*p = read_small_file(argv[i], 1 << 20, &len);

		if (p == NULL) {
			printf("not ok %d - %s: cannot read\n", i, argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)p, len);
		free(p);
		printf("ok %d - %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return 0;
}
