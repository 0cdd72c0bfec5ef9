/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test harness for the real esimd binary: a private dbus-daemon (GTestDBus),
 * a temporary directory holding software eUICC files, the daemon log and its
 * configuration, optional python3-dbusmock polkitd, and helpers that run
 * esimd / esimcli with the private bus in their environment.
 *
 * Paths of the binaries come from $ESIMD and $ESIMCLI (set by tests/meson.build).
 * The daemon log (tmpdir/esimd.log) is printed when a test fails or aborts.
 * A SIGABRT handler the test program installed before its first harness still
 * runs on abort, after the harness's own.
 */
#pragma once

#include <gio/gio.h>

#include "esim-test-wait.h"

G_BEGIN_DECLS

typedef enum {
	ESIMD_TEST_BUS_SESSION, /* daemon and CLI get --session; polkit is not consulted */
	ESIMD_TEST_BUS_SYSTEM,  /* the private bus is given as DBUS_SYSTEM_BUS_ADDRESS */
} EsimdTestBusMode;

typedef struct _EsimdTestHarness EsimdTestHarness;

#define ESIMD_TEST_BUS_NAME "org.freedesktop.Esimd1"
#define ESIMD_TEST_ROOT_PATH "/org/freedesktop/Esimd1"

EsimdTestHarness *esimd_test_harness_new (EsimdTestBusMode mode);
void              esimd_test_harness_free (EsimdTestHarness *h);

EsimdTestBusMode  esimd_test_harness_get_mode (EsimdTestHarness *h);
const gchar      *esimd_test_harness_get_tmpdir (EsimdTestHarness *h);
/* A connection of the test process to the private bus (owned by the harness). */
GDBusConnection  *esimd_test_harness_get_connection (EsimdTestHarness *h);
const gchar      *esimd_test_harness_get_bus_address (EsimdTestHarness *h);
/* tmpdir/cardI.ini: the file given to the daemon as the I-th --virtual-euicc. */
gchar            *esimd_test_harness_card_path (EsimdTestHarness *h, guint i);
/* tmpdir/esimd.conf: passed as --config (created empty unless the test wrote it). */
gchar            *esimd_test_harness_config_path (EsimdTestHarness *h);
/* tmpdir/esimd.conf.d: given to the daemon as $ESIMD_CONFIG_DIR, so that the
 * tests never read the installed configuration directory.  It holds
 * 00-harness.conf: [notifications] Automatic=false, since the software eUICCs
 * esimd makes notify smdp.example.com (a later drop-in may turn it on). */
gchar            *esimd_test_harness_config_dir (EsimdTestHarness *h);
/* tmpdir/esimd.log: daemon stdout and stderr, appended over restarts. */
gchar            *esimd_test_harness_log_path (EsimdTestHarness *h);
gchar            *esimd_test_harness_read_log (EsimdTestHarness *h);

/* Starts python3-dbusmock's polkitd template on the private bus (as the system
 * bus) and allows exactly @allowed_actions (NULL = none).  FALSE when no
 * python3 with dbusmock is found ($ESIMD_TEST_PYTHON, python3, /usr/bin/python3). */
gboolean          esimd_test_harness_start_polkit (EsimdTestHarness *h,
                                                   const gchar *const *allowed_actions);
/* Changes the allowed actions of a running mock polkitd. */
void              esimd_test_harness_polkit_set_allowed (EsimdTestHarness *h,
                                                         const gchar *const *allowed_actions);

/* Spawns $ESIMD with --virtual-euicc=tmpdir/cardI.ini for I < n_cards (created
 * by the daemon when missing), --session in session mode, --state-dir,
 * --config, --debug and @extra_args (NULL-terminated, may be NULL), then waits
 * (at most 10 s, scaled, iterating the default main context) until the daemon
 * owns org.freedesktop.Esimd1.  Fails the test if it does not. */
void              esimd_test_harness_start_daemon (EsimdTestHarness *h, guint n_cards,
                                                   const gchar *const *extra_args);
/* Like start_daemon but does not wait for the bus name nor fail the test. */
void              esimd_test_harness_spawn_daemon (EsimdTestHarness *h, guint n_cards,
                                                   const gchar *const *extra_args);
/* TRUE if the daemon started last has exited (also after stop_daemon);
 * @status (nullable) gets its exit code, or 128 + signal number when it was
 * killed.  Does not block. */
gboolean          esimd_test_harness_daemon_exited (EsimdTestHarness *h, gint *status);
/* Waits up to @timeout_ms for the daemon to exit; same result as daemon_exited. */
gboolean          esimd_test_harness_wait_daemon_exit (EsimdTestHarness *h, guint timeout_ms,
                                                       gint *status);
/* SIGTERM, wait (5 s, then SIGKILL) and wait for the bus name to vanish. */
void              esimd_test_harness_stop_daemon (EsimdTestHarness *h);
/* SIGKILL at once (a crash: no shutdown at all) and wait for the bus name to vanish. */
void              esimd_test_harness_kill_daemon (EsimdTestHarness *h);
/* The unique bus name owning org.freedesktop.Esimd1, or NULL. */
const gchar      *esimd_test_harness_get_name_owner (EsimdTestHarness *h);

/* Runs $ESIMCLI (with --session in session mode) and the NULL-terminated
 * arguments, with the private bus in its environment.  Returns stdout; sets
 * @exit_status (exit code, 128 + signal, or -1 after the 10 s limit) and
 * @err_out (stderr, nullable). */
gchar            *esimd_test_harness_run_cli (EsimdTestHarness *h, gint *exit_status,
                                              gchar **err_out, const gchar *arg, ...)
	G_GNUC_NULL_TERMINATED;
gchar            *esimd_test_harness_run_cli_argv (EsimdTestHarness *h, const gchar *const *argv,
                                                   gint *exit_status, gchar **err_out);

/* Runs $ESIMD with exactly the NULL-terminated arguments (no defaults added)
 * until it exits (10 s limit, then killed: -1).  Returns the exit code; @err_out
 * gets stderr. */
gint              esimd_test_harness_run_daemon_sync (EsimdTestHarness *h, gchar **err_out,
                                                      const gchar *arg, ...)
	G_GNUC_NULL_TERMINATED;
/* The same with an argument vector, also returning stdout (@out nullable). */
gint              esimd_test_harness_run_daemon_argv (EsimdTestHarness *h, const gchar *const *argv,
                                                      gchar **out, gchar **err_out);

/* Iterates the default main context until @condition returns TRUE or
 * @timeout_ms (scaled as esim-test-wait.h says) passes; returns the last
 * result of @condition.  The same as esim_test_wait_try(); a test that cannot
 * go on without @condition uses esim_test_wait_until_func(), which fails
 * naming what never came. */
typedef gboolean (*EsimdTestHarnessCondition) (gpointer user_data);
/* A method call to esimd on the test bus, answered within @timeout_ms while
 * the test's main context runs (servers in the test process keep serving). */
GVariant         *esimd_test_harness_call (EsimdTestHarness *h, const gchar *path,
                                           const gchar *iface, const gchar *method, GVariant *args,
                                           const GVariantType *reply_type, guint timeout_ms,
                                           GError **error);
/* A property of esimd's object, read from the daemon (not a proxy's cache);
 * fails the test when it cannot be read. */
GVariant         *esimd_test_harness_get_property (EsimdTestHarness *h, const gchar *path,
                                                   const gchar *iface, const gchar *name);
gboolean          esimd_test_harness_wait_for (EsimdTestHarness *h, guint timeout_ms,
                                               EsimdTestHarnessCondition condition,
                                               gpointer user_data);
/* Iterates the default main context for @ms milliseconds: esim_test_spin(). */
void              esimd_test_harness_spin (EsimdTestHarness *h, guint ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdTestHarness, esimd_test_harness_free)

G_END_DECLS
