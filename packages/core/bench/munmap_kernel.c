/* Times the real kernel: populate N pages with MAP_POPULATE, then munmap them (our own helper). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	size_t pages = argc > 1 ? strtoull(argv[1], NULL, 10) : 1048576;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	double best = 1e9;
	for (int r = 0; r < reps; r++) {
		size_t len = pages * 4096;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED) { perror("mmap"); return 1; }
		double t0 = now();
		if (munmap(p, len)) { perror("munmap"); return 1; }
		double t = now() - t0;
		if (t < best) best = t;
	}
	printf("%.9f\n", best);
	return 0;
}
