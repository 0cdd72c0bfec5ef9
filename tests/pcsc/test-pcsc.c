/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC/SC backend through a real pcscd.
 *
 * pcsc-fixture.c runs a private pcscd with one vpcd reader (two slots) and
 * esimd-vpcd-bridge with a software eUICC in the first slot; the second
 * stays empty.  The tests drive EsimChannelPcsc, EsimIsdr, the ES10 calls
 * and esimd_pcsc_discover against that reader, and kill the bridge and
 * pcscd under them.
 */

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <winscard.h>
#include <gio/gio.h>

#include "esim-channel-pcsc.h"
#include "esim-es10.h"
#include "esimd-pcsc.h"
#include "pcsc-fixture.h"

#define READER_FRIENDLY_NAME PCSC_FIXTURE_READER_NAME
#define READER_CARD          PCSC_FIXTURE_READER_CARD
#define READER_EMPTY         PCSC_FIXTURE_READER_EMPTY

static gchar *skip_reason;
static gchar *enabled_iccid;
static gchar *disabled_iccid;

static GPtrArray *
discover (const gchar *const *names, GError **error)
{
	PcscFixtureWait wait = { 0 };
	GPtrArray *channels;

	esimd_pcsc_discover_async (names, NULL, pcsc_fixture_wait_done, &wait);
	channels = esimd_pcsc_discover_finish (pcsc_fixture_wait_result (&wait), error);
	pcsc_fixture_wait_clear (&wait);
	return channels;
}

/* An ISD-R session on READER_CARD through a new channel. */
static EsimIsdr *
open_card_isdr (EsimChannelPcsc **channel_out)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new (READER_CARD);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	if (channel_out != NULL)
		*channel_out = g_steal_pointer (&channel);
	return g_steal_pointer (&isdr);
}

#define SKIP_IF_NEEDED()                                  \
	G_STMT_START {                                    \
		if (skip_reason != NULL) {          \
			g_test_skip (skip_reason);  \
			return;                           \
		}                                         \
	} G_STMT_END

/* ------------------------------------------------------------------------ */
/* tests */

static void
test_pcsc_list_readers (void)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) readers = NULL;

	SKIP_IF_NEEDED ();
	readers = esim_pcsc_list_readers (&error);
	g_assert_no_error (error);
	g_assert_true (pcsc_fixture_reader_listed (readers, READER_CARD));
	g_assert_true (pcsc_fixture_reader_listed (readers, READER_EMPTY));
}

/* GetEID, GetProfilesInfo and EnableProfile, and the state file they leave. */
static void
test_pcsc_es10 (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autoptr(GPtrArray) saved = NULL;
	g_autofree gchar *eid = NULL;
	const gchar *state_file;
	g_autofree gchar *state_before = NULL;
	g_autofree gchar *state_after = NULL;
	PcscFixtureWait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (channel)), ==, "pcsc");
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (channel), ==, READER_CARD);
	/* the bridge runs with a T=0 ATR here, as IoT eUICCs mostly are */
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=0");
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);

	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());

	profiles = pcsc_fixture_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);

		if (info->state == ESIM_PROFILE_STATE_ENABLED)
			enabled_iccid = g_strdup (info->iccid);
		else
			disabled_iccid = g_strdup (info->iccid);
	}
	g_assert_nonnull (enabled_iccid);
	g_assert_nonnull (disabled_iccid);

	state_file = pcsc_fixture_get_state_file ();
	g_assert_true (g_file_get_contents (state_file, &state_before, NULL, NULL));
	esim_es10_enable_profile (isdr, disabled_iccid, TRUE, NULL, pcsc_fixture_wait_done, &wait);
	g_assert_true (esim_es10_enable_profile_finish (isdr, pcsc_fixture_wait_result (&wait),
	                                                &error));
	g_assert_no_error (error);
	pcsc_fixture_wait_clear (&wait);

	after = pcsc_fixture_get_profiles (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpint (pcsc_fixture_profile_state (after, disabled_iccid), ==,
	                 ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (pcsc_fixture_profile_state (after, enabled_iccid), ==,
	                 ESIM_PROFILE_STATE_DISABLED);
	g_assert_cmpuint (esim_isdr_get_apdu_count (isdr), >=, 4);
	pcsc_fixture_isdr_close (isdr);

	/* the bridge saved the switch: the file changed and a card loaded
	 * from it has the other profile enabled */
	g_assert_true (g_file_get_contents (state_file, &state_after, NULL, NULL));
	g_assert_cmpstr (state_before, !=, state_after);
	saved = pcsc_fixture_saved_profiles ();
	g_assert_cmpint (pcsc_fixture_profile_state (saved, disabled_iccid), ==,
	                 ESIM_PROFILE_STATE_ENABLED);

	/* and back, so the card is as it was */
	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	esim_es10_enable_profile (isdr, enabled_iccid, TRUE, NULL, pcsc_fixture_wait_done, &wait);
	g_assert_true (esim_es10_enable_profile_finish (isdr, pcsc_fixture_wait_result (&wait),
	                                                &error));
	g_assert_no_error (error);
	pcsc_fixture_wait_clear (&wait);
	pcsc_fixture_isdr_close (isdr);
}

static gboolean
isdr_close_quietly (EsimIsdr *isdr, GError **error)
{
	PcscFixtureWait wait = { 0 };
	gboolean ok;

	esim_isdr_close_async (isdr, NULL, pcsc_fixture_wait_done, &wait);
	ok = esim_isdr_close_finish (isdr, pcsc_fixture_wait_result (&wait), error);
	pcsc_fixture_wait_clear (&wait);
	return ok;
}

/* SCardReconnect(SCARD_RESET_CARD) reaches the card: its channels are gone.
 * Sessions from before the reset get CHANNEL_CLOSED without reaching the card:
 * another PC/SC client may hold their channel numbers by now. */
static void
test_pcsc_reset_card (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimChannelPcsc) other = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(EsimIsdr) isdr3 = NULL;
	g_autoptr(EsimIsdr) other_isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	PcscFixtureWait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (pcsc_fixture_isdr_open (isdr2, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr2), ==, 2);

	esim_channel_reset_card_async (ESIM_CHANNEL (channel), NULL, pcsc_fixture_wait_done, &wait);
	g_assert_true (esim_channel_reset_card_finish (ESIM_CHANNEL (channel),
	                                               pcsc_fixture_wait_result (&wait), &error));
	g_assert_no_error (error);
	pcsc_fixture_wait_clear (&wait);

	/* another application gets channel 1 again: the card forgot it */
	other_isdr = open_card_isdr (&other);
	g_assert_cmpint (esim_isdr_get_logical_channel (other_isdr), ==, 1);

	/* the old session's command would land on the other application's
	 * channel: it is refused before it reaches the card */
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_assert_nonnull (strstr (error->message,
	                          "logical channel 1 was closed when the card in PC/SC reader "
	                          "“" READER_CARD "” was removed or reset"));
	g_clear_error (&error);
	/* closing the old sessions sends nothing either: the other
	 * application's channel 1 stays open */
	g_assert_false (isdr_close_quietly (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);
	g_assert_false (isdr_close_quietly (isdr2, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_clear_error (&error);
	g_assert_false (esim_isdr_is_open (isdr));
	g_assert_false (esim_isdr_is_open (isdr2));
	eid = pcsc_fixture_get_eid_on (other_isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	g_clear_pointer (&eid, g_free);

	/* a new session on the reset channel: channel 2, forgotten as well */
	isdr3 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (pcsc_fixture_isdr_open (isdr3, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr3), ==, 2);
	eid = pcsc_fixture_get_eid_on (isdr3, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr3);
	pcsc_fixture_isdr_close (other_isdr);
}

static void
test_pcsc_unknown_reader (void)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new ("no such reader 00 00");
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	g_assert_false (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "“no such reader 00 00” not found"));
	g_assert_null (esim_channel_pcsc_get_protocol (channel));
}

static void
test_pcsc_empty_reader (void)
{
	g_autoptr(EsimChannelPcsc) channel = esim_channel_pcsc_new (READER_EMPTY);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	g_assert_false (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "no card in PC/SC reader"));
}

static void
test_pcsc_discover_named (void)
{
	const gchar *const both[] = { READER_EMPTY, READER_CARD, READER_CARD, NULL };
	const gchar *const unknown[] = { READER_CARD, "no such reader", NULL };
	const gchar *const ambiguous[] = { READER_FRIENDLY_NAME, NULL };
	g_autoptr(GPtrArray) channels = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	/* in the order named, once each, the empty reader included */
	channels = discover (both, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 2);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 0)), ==,
	                 READER_EMPTY);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 1)), ==,
	                 READER_CARD);
	g_clear_pointer (&channels, g_ptr_array_unref);

	/* a name matching no reader, or several, is logged and skipped: the
	 * other names still count */
	g_test_expect_message ("esimd", G_LOG_LEVEL_WARNING,
	                       "PC/SC reader “no such reader” not found (readers present: *"
	                       READER_CARD "*): not attached");
	channels = discover (unknown, &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 1);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 0)), ==,
	                 READER_CARD);
	g_clear_pointer (&channels, g_ptr_array_unref);

	g_test_expect_message ("esimd", G_LOG_LEVEL_WARNING,
	                       "PC/SC reader name “" READER_FRIENDLY_NAME "” matches several readers: "
	                       "“" READER_CARD "”, “" READER_EMPTY "”: not attached");
	channels = discover (ambiguous, &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 0);
}

/* Without names: the reader with the eUICC, not the empty one; the probe
 * leaves no channel open. */
static void
test_pcsc_discover_auto (void)
{
	g_autoptr(GPtrArray) channels = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;

	SKIP_IF_NEEDED ();
	channels = discover (NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (channels->len, ==, 1);
	g_assert_cmpstr (esim_channel_pcsc_get_reader_name (g_ptr_array_index (channels, 0)), ==,
	                 READER_CARD);

	isdr = esim_isdr_new (ESIM_CHANNEL (g_ptr_array_index (channels, 0)));
	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	g_assert_cmpint (esim_isdr_get_logical_channel (isdr), ==, 1);
	pcsc_fixture_isdr_close (isdr);
}

/* A card offering T=0 and T=1 is spoken to in T=1 (pcsc-lite prefers it);
 * the bridge stops cleanly on SIGTERM. */
static void
test_pcsc_t1 (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	gint status;

	SKIP_IF_NEEDED ();
	status = pcsc_fixture_stop_bridge (SIGTERM);
	g_assert_true (WIFEXITED (status));
	g_assert_cmpint (WEXITSTATUS (status), ==, 0);
	pcsc_fixture_wait_card (FALSE);

	pcsc_fixture_start_bridge ("t0,t1");
	isdr = open_card_isdr (&channel);
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=1");
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr);
}

/* The bridge dies while pcscd waits for its answer: a transport error, no
 * hang; the same channel works again once the card is back. */
static void
test_pcsc_bridge_killed (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	PcscFixtureWait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_no_error (error);
	g_clear_pointer (&eid, g_free);

	/* frozen, the bridge takes the command and never answers it... */
	pcsc_fixture_freeze_bridge ();
	esim_es10_get_profiles_info (isdr, NULL, NULL, pcsc_fixture_wait_done, &wait);
	esim_test_spin (300);
	g_assert_null (wait.res);
	/* ...until it is killed */
	pcsc_fixture_stop_bridge (SIGKILL);
	profiles = esim_es10_get_profiles_info_finish (isdr, pcsc_fixture_wait_result (&wait), &error);
	pcsc_fixture_wait_clear (&wait);
	g_assert_null (profiles);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_test_message ("mid-command: %s", error->message);
	g_clear_error (&error);

	/* with the card gone, the next call fails at once */
	pcsc_fixture_wait_card (FALSE);
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_test_message ("after: %s", error->message);
	g_clear_error (&error);

	/* card back (T=1 only this time): the channel reconnects for a new session */
	pcsc_fixture_start_bridge ("t1");
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (pcsc_fixture_isdr_open (isdr2, &error));
	g_assert_no_error (error);
	g_assert_cmpstr (esim_channel_pcsc_get_protocol (channel), ==, "T=1");
	eid = pcsc_fixture_get_eid_on (isdr2, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr2);
}

/* pcscd goes away under an open session: a transport error naming it; the
 * bridge reconnects to the new pcscd and the same channel works again. */
static void
test_pcsc_pcscd_restart (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(EsimIsdr) isdr2 = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	pcsc_fixture_stop_pcscd ();

	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_null (eid);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "pcscd"));
	g_clear_error (&error);

	pcsc_fixture_restart_pcscd ();
	pcsc_fixture_wait_card (TRUE);
	isdr2 = esim_isdr_new (ESIM_CHANNEL (channel));
	g_assert_true (pcsc_fixture_isdr_open (isdr2, &error));
	g_assert_no_error (error);
	eid = pcsc_fixture_get_eid_on (isdr2, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr2);
}

/* SCardConnect with SCARD_SHARE_EXCLUSIVE from a context of our own, as
 * another PC/SC application would; the handle is disconnected at once. */
static LONG
connect_exclusive (void)
{
	SCARDCONTEXT context;
	SCARDHANDLE card;
	DWORD protocol = 0;
	LONG rv;

	g_assert_cmpint (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context), ==,
	                 SCARD_S_SUCCESS);
	rv = SCardConnect (context, READER_CARD, SCARD_SHARE_EXCLUSIVE,
	                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
	if (rv == SCARD_S_SUCCESS)
		SCardDisconnect (card, SCARD_LEAVE_CARD);
	SCardReleaseContext (context);
	return rv;
}

/* A released channel holds nothing: another application may take the card
 * exclusively; the next command takes it again. */
static void
test_pcsc_release (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	PcscFixtureWait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	g_assert_true (esim_channel_can_release (ESIM_CHANNEL (channel)));
	g_assert_cmpint (connect_exclusive (), ==, SCARD_E_SHARING_VIOLATION);

	pcsc_fixture_isdr_close (isdr);
	esim_channel_release_async (ESIM_CHANNEL (channel), pcsc_fixture_wait_done, &wait);
	esim_channel_release_finish (ESIM_CHANNEL (channel), pcsc_fixture_wait_result (&wait));
	pcsc_fixture_wait_clear (&wait);
	g_assert_null (esim_channel_pcsc_get_protocol (channel));
	g_assert_cmpint (connect_exclusive (), ==, SCARD_S_SUCCESS);

	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr);
}

/* pcscd restarts while the channel is released: the next command works at
 * once, on a context from the new pcscd. */
static void
test_pcsc_pcscd_restart_released (void)
{
	g_autoptr(EsimChannelPcsc) channel = NULL;
	g_autoptr(EsimIsdr) isdr = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	PcscFixtureWait wait = { 0 };

	SKIP_IF_NEEDED ();
	isdr = open_card_isdr (&channel);
	pcsc_fixture_isdr_close (isdr);
	esim_channel_release_async (ESIM_CHANNEL (channel), pcsc_fixture_wait_done, &wait);
	esim_channel_release_finish (ESIM_CHANNEL (channel), pcsc_fixture_wait_result (&wait));
	pcsc_fixture_wait_clear (&wait);

	pcsc_fixture_restart_pcscd ();
	pcsc_fixture_wait_card (TRUE);
	g_assert_true (pcsc_fixture_isdr_open (isdr, &error));
	g_assert_no_error (error);
	eid = pcsc_fixture_get_eid_on (isdr, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, pcsc_fixture_get_eid ());
	pcsc_fixture_isdr_close (isdr);
}

/* ---- the watcher ---- */

#define WATCH_TIMEOUT_MS 10000

static void
watch_record (GPtrArray *events, const gchar *kind, const gchar *reader)
{
	g_ptr_array_add (events, g_strdup_printf ("%s %s", kind, reader));
}

static void
watch_reader_added (EsimdPcscWatcher *watcher, const gchar *reader, GPtrArray *events)
{
	watch_record (events, "reader-added", reader);
}

static void
watch_card_inserted (EsimdPcscWatcher *watcher, const gchar *reader, GPtrArray *events)
{
	watch_record (events, "card-inserted", reader);
}

static void
watch_card_removed (EsimdPcscWatcher *watcher, const gchar *reader, GPtrArray *events)
{
	watch_record (events, "card-removed", reader);
}

/* Iterates the main context until @events holds @expected; fails naming it. */
static void
watch_wait_event (GPtrArray *events, const gchar *expected)
{
	esim_test_wait_until_ms (WATCH_TIMEOUT_MS,
	                         g_ptr_array_find_with_equal_func (events, expected, g_str_equal,
	                                                           NULL),
	                         "the watcher to report \"%s\"", expected);
}

/* Cards taken out and put back, pcscd stopped and started: reported from
 * the watcher's thread in the main context; stop() ends its wait at once. */
static void
test_pcsc_watcher (void)
{
	g_autoptr(EsimdPcscWatcher) watcher = NULL;
	g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
	g_auto(GStrv) readers = NULL;
	PcscFixtureWait wait = { 0 };
	gint64 started;

	SKIP_IF_NEEDED ();
	watcher = esimd_pcsc_watcher_new ();
	g_signal_connect (watcher, "reader-added", G_CALLBACK (watch_reader_added), events);
	g_signal_connect (watcher, "card-inserted", G_CALLBACK (watch_card_inserted), events);
	g_signal_connect (watcher, "card-removed", G_CALLBACK (watch_card_removed), events);
	esimd_pcsc_watcher_start_async (watcher, pcsc_fixture_wait_done, &wait);
	esimd_pcsc_watcher_start_finish (watcher, pcsc_fixture_wait_result (&wait));
	pcsc_fixture_wait_clear (&wait);

	/* the first look is the starting point: nothing reported */
	readers = esimd_pcsc_watcher_dup_readers (watcher);
	g_assert_true (pcsc_fixture_reader_listed (readers, READER_CARD));
	g_assert_true (pcsc_fixture_reader_listed (readers, READER_EMPTY));
	g_assert_true (esimd_pcsc_watcher_has_card (watcher, READER_CARD));
	g_assert_false (esimd_pcsc_watcher_has_card (watcher, READER_EMPTY));
	g_main_context_iteration (NULL, FALSE);
	g_assert_cmpuint (events->len, ==, 0);

	pcsc_fixture_stop_bridge (SIGTERM);
	watch_wait_event (events, "card-removed " READER_CARD);
	g_assert_false (esimd_pcsc_watcher_has_card (watcher, READER_CARD));
	pcsc_fixture_start_bridge ("t0");
	watch_wait_event (events, "card-inserted " READER_CARD);
	g_assert_true (esimd_pcsc_watcher_has_card (watcher, READER_CARD));

	/* pcscd gone: its readers and their cards with it; back: new readers */
	g_ptr_array_set_size (events, 0);
	pcsc_fixture_stop_pcscd ();
	watch_wait_event (events, "card-removed " READER_CARD);
	pcsc_fixture_restart_pcscd ();
	watch_wait_event (events, "reader-added " READER_CARD);
	watch_wait_event (events, "reader-added " READER_EMPTY);
	pcsc_fixture_wait_card (TRUE);
	watch_wait_event (events, "card-inserted " READER_CARD);
	g_assert_false (g_ptr_array_find_with_equal_func (events, "card-inserted " READER_EMPTY,
	                                                  g_str_equal, NULL));

	/* the thread waits in SCardGetStatusChange: SCardCancel ends it */
	started = g_get_monotonic_time ();
	esimd_pcsc_watcher_stop (watcher);
	g_assert_cmpint (g_get_monotonic_time () - started, <, G_TIME_SPAN_SECOND);
	g_ptr_array_set_size (events, 0);
	pcsc_fixture_stop_bridge (SIGTERM);
	pcsc_fixture_wait_card (FALSE);
	g_main_context_iteration (NULL, FALSE);
	g_assert_cmpuint (events->len, ==, 0);
	pcsc_fixture_start_bridge ("t0");
}

int
main (int argc, char **argv)
{
	gint ret;

	g_test_init (&argc, &argv, NULL);
	pcsc_fixture_setup ("t0", &skip_reason);

	g_test_add_func ("/esim/pcsc/list-readers", test_pcsc_list_readers);
	g_test_add_func ("/esim/pcsc/es10", test_pcsc_es10);
	g_test_add_func ("/esim/pcsc/reset-card", test_pcsc_reset_card);
	g_test_add_func ("/esim/pcsc/unknown-reader", test_pcsc_unknown_reader);
	g_test_add_func ("/esim/pcsc/empty-reader", test_pcsc_empty_reader);
	g_test_add_func ("/esim/pcsc/discover-named", test_pcsc_discover_named);
	g_test_add_func ("/esim/pcsc/discover-auto", test_pcsc_discover_auto);
	g_test_add_func ("/esim/pcsc/t1", test_pcsc_t1);
	g_test_add_func ("/esim/pcsc/bridge-killed", test_pcsc_bridge_killed);
	g_test_add_func ("/esim/pcsc/pcscd-restart", test_pcsc_pcscd_restart);
	g_test_add_func ("/esim/pcsc/release", test_pcsc_release);
	g_test_add_func ("/esim/pcsc/pcscd-restart-released", test_pcsc_pcscd_restart_released);
	g_test_add_func ("/esimd/pcsc/watcher", test_pcsc_watcher);
	ret = g_test_run ();

	pcsc_fixture_teardown (ret != 0);
	return ret;
}
