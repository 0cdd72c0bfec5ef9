/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A private pcscd with vsmartcard's vpcd driver and the software eUICC behind
 * esimd-vpcd-bridge, shared by the PC/SC test programs.
 *
 * pcsc_fixture_setup() starts a pcscd of its own with one vpcd reader (two
 * slots, on a pair of free TCP ports) and the bridge with a fresh card from a
 * temporary state file in the first slot; the second slot stays empty.  It
 * points PCSCLITE_CSOCK_NAME at that pcscd, so this process and every child
 * it starts (esimd, esimcli) see these readers only.
 *
 * pcscd 1.9.9 always listens on /run/pcscd/pcscd.comm (only libpcsclite
 * honours PCSCLITE_CSOCK_NAME), so pcscd runs in a mount namespace of its own
 * where a temporary directory is bound on /run (unshare(1); with a user
 * namespace when not root).  Where namespaces are not allowed (containers
 * without CAP_SYS_ADMIN) and no other pcscd runs, root falls back to pcscd on
 * the real /run/pcscd, one test program at a time (a lock file).  pcscd and
 * the bridge die with this process (PR_SET_PDEATHSIG), also when an assertion
 * aborts it; a SIGABRT handler prints their logs and removes the temporary
 * directory.  ESIMD_TEST_KEEP_TMP=1 keeps the directory.
 *
 * Test code: failures are assertions.
 */
#pragma once

#include <gio/gio.h>

#include "esim-apdu.h"
#include "esim-es10.h"
#include "esim-test-wait.h"

G_BEGIN_DECLS

#define PCSC_FIXTURE_READER_NAME  "esimd test vpcd"
#define PCSC_FIXTURE_READER_CARD  PCSC_FIXTURE_READER_NAME " 00 00" /* the bridge's slot */
#define PCSC_FIXTURE_READER_EMPTY PCSC_FIXTURE_READER_NAME " 00 01"

/* Starts pcscd, creates the card and starts the bridge announcing @protocols
 * ("t0", "t1" or "t0,t1").  FALSE and @skip_reason when pcscd or vpcd is not
 * installed, or pcscd cannot run here. */
gboolean     pcsc_fixture_setup (const gchar *protocols, gchar **skip_reason);
/* Stops the bridge and pcscd, prints their logs when @print_logs, removes the
 * temporary directory.  Safe to call when setup failed. */
void         pcsc_fixture_teardown (gboolean print_logs);

const gchar *pcsc_fixture_get_tmpdir (void);
/* The bridge's card: its state file and EID. */
const gchar *pcsc_fixture_get_state_file (void);
const gchar *pcsc_fixture_get_eid (void);

/* Waits until pcscd saw the last bridge's card leave, starts the bridge on
 * the card and waits until pcscd sees it. */
void         pcsc_fixture_start_bridge (const gchar *protocols);
/* The same with one more bridge option (e.g. "--reinsert-after-switch=1500"). */
void         pcsc_fixture_start_bridge_with (const gchar *protocols, const gchar *option);
/* The bridge's log so far. */
gchar       *pcsc_fixture_read_bridge_log (void);
/* Stops the bridge with @signum (SIGKILL after 3 s); returns its wait status. */
gint         pcsc_fixture_stop_bridge (gint signum);
/* SIGSTOP: the bridge takes the next command and never answers it. */
void         pcsc_fixture_freeze_bridge (void);

void         pcsc_fixture_stop_pcscd (void);
/* Starts pcscd again the way it ran before and waits for its readers. */
void         pcsc_fixture_restart_pcscd (void);

/* Whether pcscd sees a working card in @reader; waiting for one. */
gboolean     pcsc_fixture_reader_has_card (const gchar *reader);
void         pcsc_fixture_wait_card (gboolean present);

gboolean     pcsc_fixture_reader_listed (GStrv readers, const gchar *name);

/* ---- waiting for async calls ---- */

typedef struct {
	GAsyncResult *res;
} PcscFixtureWait;

/* The GAsyncReadyCallback to pass with a PcscFixtureWait as user data. */
void          pcsc_fixture_wait_done (GObject *source, GAsyncResult *res, gpointer user_data);
/* Iterates the default main context until the result is there (10 s at most:
 * a call that hangs fails the test, naming the function that made it). */
GAsyncResult *pcsc_fixture_wait_result_in (PcscFixtureWait *wait, const gchar *caller);
#define pcsc_fixture_wait_result(wait) pcsc_fixture_wait_result_in (wait, G_STRFUNC)
void          pcsc_fixture_wait_clear (PcscFixtureWait *wait);

/* ---- ES10 in one call ---- */

gboolean         pcsc_fixture_isdr_open (EsimIsdr *isdr, GError **error);
/* Asserts that the close works. */
void             pcsc_fixture_isdr_close (EsimIsdr *isdr);
gchar           *pcsc_fixture_get_eid_on (EsimIsdr *isdr, GError **error);
GPtrArray       *pcsc_fixture_get_profiles (EsimIsdr *isdr, GError **error);
/* The state of @iccid in @profiles (EsimProfileInfo*); fails the test when absent. */
EsimProfileState pcsc_fixture_profile_state (GPtrArray *profiles, const gchar *iccid);

/* The profiles the bridge's state file holds now (EsimProfileInfo*), read by
 * loading the file into a second software eUICC that is never saved. */
GPtrArray       *pcsc_fixture_saved_profiles (void);

G_END_DECLS
