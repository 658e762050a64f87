/* fuzz_relaytable.c - libFuzzer harness for the 6in4-relay table file parser
 * (relay_table_load: comments, prefixes, MACs, modes, duplicates, file:line
 * errors) and the --allow PROTO/PORT parser; a table that loads must answer
 * lookups of every address it holds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[256], *line;
	struct relay_table t;
	struct relay_allow a;
	int fd = memfd_create("fuzz_relaytable", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	relay_table_init(&t);
	if (relay_table_load(&t, path, err, sizeof(err))) {
		/* Every entry's own address finds an entry at least as specific
		 * (longest match) -- never none. */
		for (size_t i = 0; i < t.n; i++) {
			int k = relay_table_lookup(&t, t.d[i].v6.addr.a);
			if (k < 0 || t.d[k].v6.len < t.d[i].v6.len)
				abort();
		}
	}
	relay_table_free(&t);
	close(fd);

	/* the first line as an --allow value */
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = 0;
	line[strcspn(line, "\n")] = 0;
	relay_allow_parse(line, &a, err, sizeof(err));
	free(line);
	return 0;
}
