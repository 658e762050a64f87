/* capfile.c - recognise pcap/pcapng files by their magic number
 * (draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng). */
#include "capfile.h"
#include "cursor.h"

#include <stdio.h>
#include <string.h>

enum capfile_kind capfile_probe(const char *path)
{
	uint8_t head[4];
	FILE *f;
	size_t n;

	if (!strcmp(path, "-") || !(f = fopen(path, "rb")))
		return CAPFILE_UNKNOWN;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return capfile_classify(head, n);
}

enum capfile_kind capfile_classify(const uint8_t *head, size_t n)
{
	struct cur c;
	uint32_t magic;

	cur_init(&c, head, n);
	if (!cur_be32(&c, &magic))
		return CAPFILE_UNKNOWN;
	switch (magic) {
	case 0xa1b2c3d4: case 0xd4c3b2a1:
		return CAPFILE_PCAP;
	case 0xa1b23c4d: case 0x4d3cb2a1:
		return CAPFILE_PCAP_NSEC;
	case 0x0a0d0d0a:
		return CAPFILE_PCAPNG;
	default:
		return CAPFILE_UNKNOWN;
	}
}
