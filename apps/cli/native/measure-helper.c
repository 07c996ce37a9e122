/*
 * tlbsim measure's native helper: runs one tlbsim workload for real, with a worker thread on
 * CPU0 and peer threads on CPUs 1..cpus-1, and brackets every operation with a trace_marker
 * write so that tlbsim can cut the kernel's trace into the same operations its model runs.
 *
 * Usage: measure-helper MARKER WORKLOAD PAGES PEER ALIGNED ITERATIONS CPUS SCHED
 *   MARKER    the trace_marker file of the tracing instance that records
 *   WORKLOAD  munmap | madvise-dontneed | madvise-free | mprotect | mremap | exit
 *   PEER      spin | sleep | none (exit: ignored, its threads all run)
 *   PAGES     region pages (exit: rss)
 *   SCHED     fifo (SCHED_FIFO when permitted) | other (never: to see what disturbance does)
 * Protocol: prints "fifo yes" or "fifo no: REASON" (or "fifo off"), then "tids T1,T2,..." (worker first), waits
 * for one line on stdin, runs, prints "done" and exits 0. Errors: one line on stderr, exit 1.
 * Markers: "tlbsim-measure it=N op=NAME begin tids=..." and "... end"; each spinning thread
 * writes "tlbsim-measure spin cpu=C tid=T" once, so the trace shows it on its CPU (its later
 * preemptions are sched_switch events).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PS 4096UL
#define PMD (2UL << 20)
#define GIB (1UL << 30)
#define MAXCPUS 64

static int marker_fd = -1;
static int use_fifo;
static atomic_int peers_stop;
static atomic_int peers_ready;
static atomic_int started;
static atomic_int spinners_marked;
static int sleep_pipe[2];
static char tids_text[1024];

static void die(const char *what) {
  fprintf(stderr, "measure-helper: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void mark(int it, const char *op, const char *edge) {
  char buf[1200];
  int n = snprintf(buf, sizeof buf, "tlbsim-measure it=%d op=%s %s tids=%s\n", it, op, edge, tids_text);
  if (write(marker_fd, buf, (size_t)n) != n) die("write trace_marker");
}

/* A spinning thread announces itself on its CPU, once the run has started. */
static void mark_spin(int cpu) {
  char buf[128];
  while (!atomic_load(&started)) __asm__ volatile("pause");
  int n = snprintf(buf, sizeof buf, "tlbsim-measure spin cpu=%d tid=%d\n", cpu, (int)syscall(SYS_gettid));
  if (write(marker_fd, buf, (size_t)n) != n) die("write trace_marker");
  atomic_fetch_add(&spinners_marked, 1);
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  if (sched_setaffinity(0, sizeof s, &s)) die("sched_setaffinity");
  if (use_fifo) {
    struct sched_param p = { .sched_priority = 10 };
    if (sched_setscheduler(0, SCHED_FIFO, &p)) die("sched_setscheduler");
  }
}

/* Can this process use SCHED_FIFO? Try it on the main thread, then go back. */
static void probe_fifo(void) {
  struct sched_param p = { .sched_priority = 10 };
  if (sched_setscheduler(0, SCHED_FIFO, &p) == 0) {
    struct sched_param z = { .sched_priority = 0 };
    sched_setscheduler(0, SCHED_OTHER, &z);
    use_fifo = 1;
    printf("fifo yes\n");
  } else {
    printf("fifo no: %s\n", strerror(errno));
  }
}

struct peer { int cpu; int spin; pid_t tid; };

static void *peer_main(void *arg) {
  struct peer *p = arg;
  pin(p->cpu);
  p->tid = (pid_t)syscall(SYS_gettid);
  atomic_fetch_add(&peers_ready, 1);
  if (p->spin) {
    mark_spin(p->cpu);
    while (!atomic_load_explicit(&peers_stop, memory_order_relaxed)) __asm__ volatile("pause");
  } else {
    char c;
    /* blocked for the whole run: its CPU goes idle (lazy TLB) or runs other tasks */
    if (read(sleep_pipe[0], &c, 1) < 0) die("read");
  }
  return NULL;
}

static void touch(char *a, unsigned long n, int write) {
  for (unsigned long i = 0; i < n; i++) {
    if (write) a[i * PS] = 1;
    else (void)*(volatile char *)(a + i * PS);
  }
}

static char *map_at(unsigned long addr, unsigned long len, int prot) {
  void *r = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (r == MAP_FAILED) die("mmap");
  if ((unsigned long)r != addr) { errno = EEXIST; die("mmap at the planned address"); }
  return r;
}

/* A free 1 GiB-aligned address with `span` bytes free above it (as the model's layout needs). */
static unsigned long free_base(unsigned long span) {
  void *r = mmap(NULL, span + GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) die("mmap reservation");
  unsigned long base = ((unsigned long)r + GIB - 1) & ~(GIB - 1);
  munmap(r, span + GIB);
  return base;
}

/* Wait for "go" (tracing is on), then for the spinning threads' markers. */
static void read_line(int spinners) {
  char buf[16];
  if (!fgets(buf, sizeof buf, stdin)) { errno = EPIPE; die("waiting for go"); }
  atomic_store(&started, 1);
  while (atomic_load(&spinners_marked) < spinners) usleep(50);
}

static void region(const char *w, unsigned long pages, int aligned, int iters, int spinners) {
  unsigned long len = pages * PS;
  unsigned long base = free_base(8 * GIB);
  unsigned long reg = aligned ? base + PMD : base + 2 * PS;
  int is_mremap = !strcmp(w, "mremap");
  unsigned long target = 0;
  map_at(base, PS, PROT_READ | PROT_WRITE);
  touch((char *)base, 1, 1);
  if (is_mremap) {
    /* the blocker stops in-place growth; the region moves next to keeper2 (sharing its page
       table) or, aligned, alone into a fresh PMD-aligned area */
    map_at(reg + len, PS, PROT_READ);
    touch((char *)(reg + len), 1, 0);
    unsigned long top = base + 4 * GIB;
    if (!aligned) {
      map_at(top - PS, PS, PROT_READ);
      touch((char *)(top - PS), 1, 0);
      target = top - PS - 2 * len;
    } else {
      target = top + PMD;
    }
  }
  printf("ready\n");
  fflush(stdout);
  read_line(spinners);
  for (int it = 0; it < iters; it++) {
    unsigned long at = reg, size = len;
    mark(it, "mmap", "begin");
    map_at(reg, len, PROT_READ | PROT_WRITE);
    mark(it, "mmap", "end");
    mark(it, "touch", "begin");
    touch((char *)reg, pages, 1);
    mark(it, "touch", "end");
    if (!strcmp(w, "madvise-dontneed") || !strcmp(w, "madvise-free")) {
      mark(it, "madvise", "begin");
      if (madvise((void *)reg, len, w[8] == 'd' ? MADV_DONTNEED : MADV_FREE)) die("madvise");
      mark(it, "madvise", "end");
    } else if (!strcmp(w, "mprotect")) {
      mark(it, "mprotect", "begin");
      if (mprotect((void *)reg, len, PROT_READ)) die("mprotect");
      mark(it, "mprotect", "end");
    } else if (is_mremap) {
      mark(it, "mremap", "begin");
      void *r = mremap((void *)reg, len, 2 * len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)target);
      if (r == MAP_FAILED) die("mremap");
      mark(it, "mremap", "end");
      at = target;
      size = 2 * len;
    }
    mark(it, "munmap", "begin");
    if (munmap((void *)at, size)) die("munmap");
    mark(it, "munmap", "end");
  }
}

/* exit: per iteration a child process with `threads` threads (thread t on CPU t) maps and
   writes `rss` pages on CPU0; the other threads exit, last first, then the first exits. */
static void spin_us(long us) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  do clock_gettime(CLOCK_MONOTONIC, &b);
  while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

struct xthread { int cpu; pthread_t th; atomic_int go; atomic_int tid; };
static void *xthread_main(void *arg) {
  struct xthread *x = arg;
  pin(x->cpu);
  atomic_store(&x->tid, (int)syscall(SYS_gettid));
  mark_spin(x->cpu);
  while (!atomic_load(&x->go)) __asm__ volatile("pause");
  return NULL;
}

static void exit_workload(unsigned long rss, int threads, int iters) {
  printf("ready\n");
  fflush(stdout);
  read_line(0);
  for (int it = 0; it < iters; it++) {
    atomic_store(&spinners_marked, 0);
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      static struct xthread xs[MAXCPUS];
      /* never outlive the helper (tlbsim kills it on Ctrl-C) */
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(1);
      int n = snprintf(tids_text, sizeof tids_text, "%d", (int)getpid());
      for (int t = 1; t < threads; t++) {
        xs[t].cpu = t;
        if (pthread_create(&xs[t].th, NULL, xthread_main, &xs[t])) die("pthread_create");
      }
      while (atomic_load(&spinners_marked) < threads - 1) usleep(50);
      for (int t = 1; t < threads; t++) {
        while (!atomic_load(&xs[t].tid)) usleep(50);
        n += snprintf(tids_text + n, sizeof tids_text - (size_t)n, ",%d", atomic_load(&xs[t].tid));
      }
      char *a = NULL;
      if (rss) {
        mark(it, "mmap", "begin");
        a = mmap(NULL, rss * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED) die("mmap");
        mark(it, "mmap", "end");
        mark(it, "touch", "begin");
        touch(a, rss, 1);
        mark(it, "touch", "end");
      }
      for (int t = threads - 1; t >= 1; t--) {
        mark(it, "exit", "begin");
        atomic_store(&xs[t].go, 1);
        /* spin, do not block: a blocked joiner would let other tasks onto CPU0 and be woken
           by a scheduler IPI, neither of which is part of the workload */
        while (pthread_tryjoin_np(xs[t].th, NULL) == EBUSY) __asm__ volatile("pause");
        /* the join returns when the thread released its mm; give it time to schedule out */
        spin_us(2000);
        mark(it, "exit", "end");
      }
      mark(it, "exit", "begin");
      _exit(0);
    }
    int st;
    if (waitpid(child, &st, 0) < 0) die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st)) { errno = ECHILD; die("child failed"); }
    /* the child is gone: its tids were on the begin marker, the end marker only closes */
    mark(it, "exit", "end");
  }
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: measure-helper MARKER WORKLOAD PAGES PEER ALIGNED ITERATIONS CPUS SCHED\n");
    return 2;
  }
  /* start again on CPU0: exec makes a new mm there, so no other CPU is in its mm_cpumask from
     where the process happened to start (a stale bit makes the first flushes send IPIs) */
  if (!getenv("TLBSIM_HELPER_PINNED")) {
    cpu_set_t s0;
    CPU_ZERO(&s0);
    CPU_SET(0, &s0);
    if (sched_setaffinity(0, sizeof s0, &s0)) die("sched_setaffinity");
    setenv("TLBSIM_HELPER_PINNED", "1", 1);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) die("readlink /proc/self/exe");
    self[n] = 0;
    execv(self, argv); /* by its path, so the trace shows its name as comm */
    die("execv");
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *w = argv[2];
  unsigned long pages = strtoul(argv[3], NULL, 10);
  const char *peer = argv[4];
  int aligned = atoi(argv[5]);
  int iters = atoi(argv[6]);
  int cpus = atoi(argv[7]);
  if (cpus < 1 || cpus > MAXCPUS) { fprintf(stderr, "measure-helper: cpus must be 1..%d\n", MAXCPUS); return 2; }
  marker_fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  if (marker_fd < 0) die(argv[1]);
  if (!strcmp(argv[8], "fifo")) probe_fifo();
  else printf("fifo off\n");
  pin(0);
  int n = snprintf(tids_text, sizeof tids_text, "%d", (int)syscall(SYS_gettid));
  static struct peer ps[MAXCPUS];
  static pthread_t pts[MAXCPUS];
  int npeers = 0;
  int is_exit = !strcmp(w, "exit");
  if (!is_exit && strcmp(peer, "none")) {
    if (pipe(sleep_pipe)) die("pipe");
    for (int c = 1; c < cpus; c++, npeers++) {
      ps[npeers].cpu = c;
      ps[npeers].spin = !strcmp(peer, "spin");
      if (pthread_create(&pts[npeers], NULL, peer_main, &ps[npeers])) die("pthread_create");
    }
    while (atomic_load(&peers_ready) < npeers) usleep(100);
    for (int i = 0; i < npeers; i++) n += snprintf(tids_text + n, sizeof tids_text - (size_t)n, ",%d", (int)ps[i].tid);
  }
  printf("tids %s\n", tids_text);
  if (is_exit) exit_workload(pages, cpus, iters);
  else region(w, pages, aligned, iters, strcmp(peer, "spin") ? 0 : npeers);
  atomic_store(&peers_stop, 1);
  if (npeers && write(sleep_pipe[1], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", (size_t)npeers) < 0) die("write");
  for (int i = 0; i < npeers; i++) pthread_join(pts[i], NULL);
  printf("done\n");
  return 0;
}
