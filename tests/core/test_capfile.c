/* test_capfile.c - capture-file kind from the magic number: pcap in both
 * byte orders and precisions, pcapng, and what is neither. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capfile.h"
#include "t.h"

static enum capfile_kind probe_bytes(const uint8_t *b, size_t n)
{
	char path[] = "/tmp/test_capfile_XXXXXX";
	int fd = mkstemp(path);
	enum capfile_kind k;

	if (fd < 0)
		return (enum capfile_kind)-1;
	if (write(fd, b, n) != (ssize_t)n)
		k = (enum capfile_kind)-1;
	else
		k = capfile_probe(path);
	close(fd);
	unlink(path);
	return k;
}

static void kinds(void)
{
	static const uint8_t le_us[] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0 }, be_us[] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	static const uint8_t le_ns[] = { 0x4d, 0x3c, 0xb2, 0xa1 }, be_ns[] = { 0xa1, 0xb2, 0x3c, 0x4d };
	static const uint8_t ng[] = { 0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0 }, junk[] = { 1, 2, 3, 4 };

	CHECK_EQ(probe_bytes(le_us, sizeof(le_us)), CAPFILE_PCAP);
	CHECK_EQ(probe_bytes(be_us, sizeof(be_us)), CAPFILE_PCAP);
	CHECK_EQ(probe_bytes(le_ns, sizeof(le_ns)), CAPFILE_PCAP_NSEC);
	CHECK_EQ(probe_bytes(be_ns, sizeof(be_ns)), CAPFILE_PCAP_NSEC);
	CHECK_EQ(probe_bytes(ng, sizeof(ng)), CAPFILE_PCAPNG);
	CHECK_EQ(probe_bytes(junk, sizeof(junk)), CAPFILE_UNKNOWN);
	CHECK_EQ(probe_bytes(le_us, 3), CAPFILE_UNKNOWN);	/* too short */
	CHECK_EQ(probe_bytes(le_us, 0), CAPFILE_UNKNOWN);
	CHECK_EQ(capfile_probe("-"), CAPFILE_UNKNOWN);
	CHECK_EQ(capfile_probe("/nonexistent/v6kit/file.pcap"), CAPFILE_UNKNOWN);
}

int main(void)
{
	RUN(kinds);
	return t_done();
}
