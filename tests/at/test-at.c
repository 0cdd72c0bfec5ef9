/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AT channel backend against a fake modem on a pseudo-terminal, with the
 * software eUICC behind it: channel operations, ES10 through EsimIsdr, session
 * ids that are not channel numbers, +CMEE, the +CSIM fallback (no +CCHO, or a
 * +CCHO that refuses), others' sessions on a full card, modems without
 * +CCHC, echo and unsolicited result codes, modem errors mid-sequence,
 * timeouts, cancellation and a vanishing port.
 */

#include <string.h>

#include "esim-apdu.h"
#include "esim-channel-at.h"
#include "esim-error.h"
#include "esim-es10.h"
#include "esim-util.h"
#include "esim-test-wait.h"
#include "esim-veuicc.h"
#include "fake-at-modem.h"

/* GetEID on channel 1 (vectors.md V2) and the GET RESPONSE for its 21 bytes */
#define GET_EID_CH1      "81E2910006BF3E035C015A"
#define GET_RESPONSE_CH1 "01C0000015"

typedef struct {
	EsimVeuicc    *card;
	FakeAtModem   *modem;
	EsimChannelAt *channel;
	EsimIsdr      *isdr;
	GAsyncResult  *res;
	gboolean       done;
} Fixture;

static void
async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_false (f->done);
	g_clear_object (&f->res);
	f->res = g_object_ref (res);
	f->done = TRUE;
}

/* Runs the main loop (the fake modem lives in it too) until the call made
 * in @caller completes. */
static GAsyncResult *
wait_result_in (Fixture *f, const gchar *caller)
{
	esim_test_wait_until (f->done, "the call made in %s to complete", caller);
	f->done = FALSE;
	return f->res;
}
#define wait_result(f) wait_result_in (f, G_STRFUNC)

static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	f->card = esim_veuicc_new_ephemeral ();
	f->modem = fake_at_modem_new (f->card, &error);
	g_assert_no_error (error);
	g_assert_nonnull (f->modem);
	fake_at_modem_set_flags (f->modem, GPOINTER_TO_UINT (user_data));
	f->channel = esim_channel_at_new (fake_at_modem_get_port (f->modem));
	/* generous but bounded: a bug must fail the test, not hang it */
	esim_channel_at_set_timeout (f->channel, 3000);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
	g_clear_object (&f->res);
	g_clear_object (&f->isdr);
	/* nothing may keep the channel once the ISD-R's own close (when it
	 * was dropped with the channel open) has run: no task, no source */
	g_object_add_weak_pointer (G_OBJECT (f->channel), (gpointer *) &f->channel);
	g_object_unref (f->channel);
	esim_test_wait_until_ms (5000, f->channel == NULL,
	                         "the last reference to the AT channel to go");
	g_clear_pointer (&f->modem, fake_at_modem_free);
	g_clear_object (&f->card);
}

/* ---- helpers ---- */

static gint
channel_open (Fixture *f, GError **error)
{
	g_autoptr(GBytes) aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));

	esim_channel_open_async (ESIM_CHANNEL (f->channel), aid, NULL, async_done, f);
	return esim_channel_open_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
}

static gboolean
channel_close (Fixture *f, gint channel, GError **error)
{
	esim_channel_close_async (ESIM_CHANNEL (f->channel), channel, NULL, async_done, f);
	return esim_channel_close_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
}

/* Sends @hex and returns the response as upper-case hex (NULL on error). */
static gchar *
channel_transmit (Fixture *f, gint channel, const gchar *hex, GError **error)
{
	g_autoptr(GBytes) command = esim_hex_decode (hex, NULL);
	g_autoptr(GBytes) response = NULL;

	g_assert_nonnull (command);
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), channel, command, NULL, async_done,
	                             f);
	response = esim_channel_transmit_finish (ESIM_CHANNEL (f->channel), wait_result (f), error);
	return response != NULL ? esim_hex_encode_bytes (response) : NULL;
}

static void
isdr_open (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	esim_isdr_open_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_open_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
}

static void
isdr_close (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	esim_isdr_close_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
}

static gchar *
get_eid (Fixture *f, GError **error)
{
	esim_es10_get_eid (f->isdr, NULL, async_done, f);
	return esim_es10_get_eid_finish (f->isdr, wait_result (f), error);
}

static GPtrArray *
get_profiles (Fixture *f, GError **error)
{
	esim_es10_get_profiles_info (f->isdr, NULL, NULL, async_done, f);
	return esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), error);
}

static void
assert_eid (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = get_eid (f, &error);

	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card));
}

/* Enough extra profiles for a ProfileInfoList longer than 256 bytes: its
 * answer then needs several GET RESPONSEs. */
static void
add_profiles (Fixture *f, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *iccid = g_strdup_printf ("8944476500000010%03u", i);
		g_autofree gchar *name = g_strdup_printf ("Extra profile with a long name %u", i);

		g_assert_true (esim_veuicc_add_profile (f->card, iccid, name, "Extra operator",
		                                        "operational", &error));
		g_assert_no_error (error);
	}
}

/* ---- tests ---- */

static void
test_open_transmit_close (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	gint channel;

	g_assert_cmpstr (esim_channel_get_transport (ESIM_CHANNEL (f->channel)), ==, "at");
	g_assert_cmpstr (esim_channel_at_get_path (f->channel), ==,
	                 fake_at_modem_get_port (f->modem));
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_UNKNOWN);
	g_assert_false (esim_channel_at_is_port_open (f->channel));

	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	g_assert_true (esim_channel_at_is_port_open (f->channel));
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_LOGICAL);
	g_assert_true (esim_channel_at_get_has_cchc (f->channel));
	g_assert_cmpuint (fake_at_modem_count_commands (
	                          f->modem, "AT+CCHO=\"A0000005591010FFFFFFFF8900000100\""),
	                  ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 1);

	/* the CLA carries the channel; 61xx comes back untouched */
	first = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (first, ==, "6115");
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=1,22,\"" GET_EID_CH1 "\""),
	                  ==, 1);
	second = channel_transmit (f, channel, GET_RESPONSE_CH1, &error);
	g_assert_no_error (error);
	g_assert_true (g_str_has_prefix (second, "BF3E125A10"));
	g_assert_true (g_str_has_suffix (second, "9000"));
	g_assert_nonnull (strstr (second, esim_veuicc_get_eid (f->card)));

	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=1"), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);

	/* bad arguments never reach the modem */
	g_assert_null (channel_transmit (f, 20, "00A40400", &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_null (channel_transmit (f, 1, "00A4", &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_false (channel_close (f, 0, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* releasing the port, then using it again: it is reopened and probed */
	esim_channel_at_close_port (f->channel);
	g_assert_false (esim_channel_at_is_port_open (f->channel));
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHO=?"), ==, 2);
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
}

/* Sessions another user left open stay open while the card has a free
 * channel; on a full card they are closed (with +CCHC when their ids can be
 * guessed, else with MANAGE CHANNEL over +CSIM) and the open succeeds. */
static void
test_foreign_sessions (Fixture *f, gconstpointer user_data)
{
	gboolean no_csim = (GPOINTER_TO_UINT (user_data) & FAKE_AT_MODEM_FLAG_NO_CSIM) != 0;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *answer = NULL;
	gint channel;

	g_assert_cmpuint (fake_at_modem_open_stale_channels (f->modem, 1), ==, 1);
	esim_channel_at_prepare_async (f->channel, NULL, async_done, f);
	g_assert_true (esim_channel_at_prepare_finish (f->channel, wait_result (f), &error));
	g_assert_no_error (error);
	/* the probe only: nothing is closed at start */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC="), ==, 1);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 2);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC="), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM="), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 2);
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 1);

	/* now the card is full */
	g_assert_cmpuint (fake_at_modem_open_stale_channels (f->modem, 2), ==, 2);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	/* the probe, our close of 2, then sessions 1-19 (1-3 were open) */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC="), ==, 21);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=2"), ==, 2);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=3"), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_sessions (f->modem), ==, 1);
	/* +CCHC freed channels: the modem's own ones are not touched over +CSIM */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"007080"), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 1);
	answer = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (answer, ==, "6115");
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
	if (no_csim) /* the probe only */
		g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM="), ==, 1);
}

/* The same with a modem whose session ids are not channels: the sessions
 * left open cannot be named, so the card's channels are closed over +CSIM;
 * without +CSIM the open fails with the modem's "memory full". */
static void
test_foreign_sessions_mapped (Fixture *f, gconstpointer user_data)
{
	gboolean no_csim = (GPOINTER_TO_UINT (user_data) & FAKE_AT_MODEM_FLAG_NO_CSIM) != 0;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *answer = NULL;
	gint channel;

	fake_at_modem_set_first_session_id (f->modem, 257);
	g_assert_cmpuint (fake_at_modem_open_stale_channels (f->modem, 3), ==, 3);
	channel = channel_open (f, &error);
	if (no_csim) {
		g_assert_cmpint (channel, <, 0);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
		g_assert_nonnull (strstr (error->message, "+CME ERROR: 20"));
		g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 3);
		return;
	}
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	for (guint i = 1; i <= 3; i++) {
		g_autofree gchar *manage_close = g_strdup_printf ("AT+CSIM=10,\"0070800%u00\"", i);
		g_assert_cmpuint (fake_at_modem_count_commands (f->modem, manage_close), ==, 1);
	}
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHO=\""), ==, 2);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 1);
	answer = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (answer, ==, "6115");
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=260,22,"), ==, 1);
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* Session ids 257 and up (27.007 §8.45: the MT chooses them): the channel
 * numbers handed out are ours, the CLA carries channel 0 and the modem codes
 * the card's channel (§8.43 NOTE); two sessions at once; close and reopen. */
static void
test_session_ids (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	gint channel;
	gint other;

	fake_at_modem_set_first_session_id (f->modem, 257);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	first = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (first, ==, "6115");
	/* GlobalPlatform class 80, channel bits left to the modem */
	g_assert_cmpuint (fake_at_modem_count_commands (
	                          f->modem, "AT+CGLA=257,22,\"80E2910006BF3E035C015A\""), ==, 1);
	second = channel_transmit (f, channel, GET_RESPONSE_CH1, &error);
	g_assert_no_error (error);
	g_assert_true (g_str_has_prefix (second, "BF3E125A10"));
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=257,10,\"00C0000015\""),
	                  ==, 1);

	/* a second session at once gets another number */
	other = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (other, ==, 2);
	g_clear_pointer (&first, g_free);
	first = channel_transmit (f, other, "82E2910006BF3E035C015A", &error);
	g_assert_no_error (error);
	g_assert_cmpstr (first, ==, "6115");
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=258,22,\"80E2"), ==, 1);
	g_assert_true (channel_close (f, other, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=258"), ==, 1);
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=257"), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_sessions (f->modem), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);

	/* ES10 through EsimIsdr, reopened */
	add_profiles (f, 6);
	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	assert_eid (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=259"), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* The first disabled profile of @profiles (an ICCID of its own). */
static gchar *
first_disabled (GPtrArray *profiles)
{
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (info->state == ESIM_PROFILE_STATE_DISABLED)
			return g_strdup (info->iccid);
	}
	return NULL;
}

/* A modem whose ids grow past 19: the enable goes through on session 19, the
 * card resets, and the reopen (session 20) must work and show the new
 * profile enabled. */
static void
test_session_ids_grow (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *disabled = NULL;

	fake_at_modem_set_first_session_id (f->modem, 19);
	fake_at_modem_set_reset_after_switch (f->modem, TRUE);
	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 19);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	disabled = first_disabled (profiles);
	g_assert_nonnull (disabled);
	g_clear_pointer (&profiles, g_ptr_array_unref);
	esim_es10_enable_profile (f->isdr, disabled, TRUE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_get_n_card_resets (f->modem), ==, 1);
	esim_isdr_forget_channel (f->isdr);

	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=20,"), >, 0);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		g_assert_cmpint (info->state, ==,
		                 g_strcmp0 (info->iccid, disabled) == 0 ? ESIM_PROFILE_STATE_ENABLED
		                                                        : ESIM_PROFILE_STATE_DISABLED);
	}
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* +CMEE=1 is set with the port, so that refusals carry their cause; a modem
 * without +CMEE still works, with causeless errors. */
static void
test_cmee (Fixture *f, gconstpointer user_data)
{
	gboolean no_cmee = (GPOINTER_TO_UINT (user_data) & FAKE_AT_MODEM_FLAG_NO_CMEE) != 0;
	g_autoptr(GError) error = NULL;
	gint channel;

	g_assert_cmpuint (fake_at_modem_get_cmee (f->modem), ==, 0);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CMEE=1"), ==, 1);
	g_assert_cmpuint (fake_at_modem_get_cmee (f->modem), ==, no_cmee ? 0 : 1);
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_LOGICAL);

	/* the session is gone (a card reset the modem did not report) */
	fake_at_modem_reset_card (f->modem);
	g_assert_null (channel_transmit (f, channel, GET_EID_CH1, &error));
	if (no_cmee) {
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
		g_assert_nonnull (strstr (error->message, "\"ERROR\""));
	} else {
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
		g_assert_nonnull (strstr (error->message, "+CME ERROR: 21"));
	}
	g_clear_error (&error);
	g_assert_false (channel_close (f, channel, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED);
}

/* A +CCHO the modem refuses (ERROR or +CME ERROR): MANAGE CHANNEL and SELECT
 * over +CSIM instead; without +CSIM, a clear "no channel" with the cause. */
static void
test_ccho_refused (Fixture *f, gconstpointer user_data)
{
	FakeAtModemFlags flags = GPOINTER_TO_UINT (user_data);
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	if (flags & FAKE_AT_MODEM_FLAG_NO_CSIM) {
		g_assert_cmpint (channel_open (f, &error), <, 0);
		g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
		g_assert_nonnull (strstr (error->message, "refuses"));
		g_assert_nonnull (strstr (error->message, "+CME ERROR: 3"));
		g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
		return;
	}
	add_profiles (f, 6);
	isdr_open (f);
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_LOGICAL);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHO=\""), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070000001\""), ==, 1);
	assert_eid (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=1"), ==, 0);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070800100\""), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* The whole ES10 path: EsimIsdr over AT+CGLA, GET RESPONSE chains included. */
static void
test_es10 (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) before = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *disabled = NULL;
	guint get_responses;

	add_profiles (f, 6);
	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	assert_eid (f);

	get_responses = fake_at_modem_count_commands (f->modem, "AT+CGLA=1,10,\"01C0");
	before = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (before->len, ==, 8);
	/* more than 256 bytes of ProfileInfoList: at least two GET RESPONSEs */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=1,10,\"01C0") -
	                  get_responses, >=, 2);
	for (guint i = 0; i < before->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (before, i);
		if (info->state == ESIM_PROFILE_STATE_DISABLED && disabled == NULL)
			disabled = info->iccid;
	}
	g_assert_nonnull (disabled);

	esim_es10_enable_profile (f->isdr, disabled, FALSE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);

	after = get_profiles (f, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < after->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (after, i);
		g_assert_cmpint (info->state, ==,
		                 g_strcmp0 (info->iccid, disabled) == 0 ? ESIM_PROFILE_STATE_ENABLED
		                                                        : ESIM_PROFILE_STATE_DISABLED);
	}

	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* The card resets after an enable, as after a REFRESH: the old channel is
 * gone with a clear error, and a reopened session sees the new state. */
static void
test_enable_card_reset (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *disabled = NULL;

	fake_at_modem_set_reset_after_switch (f->modem, TRUE);
	isdr_open (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < profiles->len && disabled == NULL; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (info->state == ESIM_PROFILE_STATE_DISABLED)
			disabled = g_strdup (info->iccid);
	}
	g_assert_nonnull (disabled);
	g_clear_pointer (&profiles, g_ptr_array_unref);

	esim_es10_enable_profile (f->isdr, disabled, TRUE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_get_n_card_resets (f->modem), ==, 1);

	/* the session died with the reset: +CMEE tells so, and the caller reopens */
	g_assert_null (get_eid (f, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_CHANNEL_CLOSED);
	g_assert_nonnull (strstr (error->message, "+CME ERROR: 21"));
	g_clear_error (&error);
	esim_isdr_close_async (f->isdr, NULL, async_done, f);
	g_assert_false (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED);
	g_clear_error (&error);

	g_clear_object (&f->isdr);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (g_strcmp0 (info->iccid, disabled) == 0)
			g_assert_cmpint (info->state, ==, ESIM_PROFILE_STATE_ENABLED);
	}
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* A modem that fetches 61xx itself answers in one go (vectors.md V10). */
static void
test_auto_get_response (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	add_profiles (f, 6);
	isdr_open (f);
	assert_eid (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=1,10,\"01C0"), ==, 0);
	isdr_close (f);
}

/* No +CCHO/+CGLA (lpac#164): MANAGE CHANNEL, SELECT and every APDU over +CSIM. */
static void
test_csim_fallback (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	add_profiles (f, 6);
	isdr_open (f);
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_CSIM);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	/* MANAGE CHANNEL open on the basic channel, SELECT on the new one */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070000001\""), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=42,\"01A40400"), ==, 1);
	assert_eid (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHO=\""), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA=1"), ==, 0);
	/* channels the modem may use itself are not closed blindly */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"00708002"), ==, 0);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070800100\""), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* +CCHO/+CGLA without +CCHC (Sierra EM9191, lpac#187): channels are closed
 * with MANAGE CHANNEL over +CSIM, or over +CGLA when +CSIM is missing too. */
static void
test_no_cchc (Fixture *f, gconstpointer user_data)
{
	gboolean no_csim = (GPOINTER_TO_UINT (user_data) & FAKE_AT_MODEM_FLAG_NO_CSIM) != 0;

	g_assert_cmpuint (fake_at_modem_open_stale_channels (f->modem, 1), ==, 1);
	isdr_open (f);
	g_assert_cmpint (esim_channel_at_get_mode (f->channel), ==, ESIM_CHANNEL_AT_MODE_LOGICAL);
	g_assert_false (esim_channel_at_get_has_cchc (f->channel));
	/* without +CCHC nothing stale can be cleared safely: channel 2 is ours */
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 2);
	assert_eid (f);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC="), ==, 1); /* the probe */
	if (no_csim)
		g_assert_cmpuint (fake_at_modem_count_commands (f->modem,
		                                                "AT+CGLA=2,10,\"0270800200\""),
		                  ==, 1);
	else
		g_assert_cmpuint (fake_at_modem_count_commands (f->modem,
		                                                "AT+CSIM=10,\"0070800200\""),
		                  ==, 1);
	/* only the stale one is left */
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 1);
}

/* Echo that ATE0 does not turn off, URCs around every answer, the bare
 * 27.007 +CCHO answer, and URCs while idle. */
static void
test_echo_and_urcs (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	fake_at_modem_emit_urc (f->modem, "+CIEV: 1,0");
	add_profiles (f, 6);
	isdr_open (f);
	g_assert_cmpint (esim_isdr_get_logical_channel (f->isdr), ==, 1);
	fake_at_modem_emit_urc (f->modem, "RING");
	fake_at_modem_emit_urc (f->modem, "OK"); /* a stray final result while idle */
	esim_test_spin (50);
	assert_eid (f);
	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* ERROR to the n-th +CGLA (EC20F during BPP loads, lpac#186): a clear
 * transport error, and the session goes on afterwards.  A refused +CCHO
 * falls back to +CSIM. */
static void
test_error_mid_sequence (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
	gint channel;

	add_profiles (f, 6);
	isdr_open (f);
	/* STORE DATA, GET RESPONSE, then the second GET RESPONSE fails */
	fake_at_modem_inject_fault (f->modem, "AT+CGLA=", 3, FAKE_AT_FAULT_ERROR);
	profiles = get_profiles (f, &error);
	g_assert_null (profiles);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "\"ERROR\""));
	g_assert_nonnull (strstr (error->message, "AT+CGLA"));
	g_clear_error (&error);

	profiles = get_profiles (f, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 8);

	/* an answer that is not hex */
	fake_at_modem_inject_fault (f->modem, "AT+CGLA=", 1, FAKE_AT_FAULT_GARBLED);
	g_assert_null (get_eid (f, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE);
	g_clear_error (&error);
	assert_eid (f);
	isdr_close (f);

	/* ERROR to one +CCHO: that open goes over +CSIM, the next over +CCHO again */
	fake_at_modem_inject_fault (f->modem, "AT+CCHO=\"", 1, FAKE_AT_FAULT_ERROR);
	esim_channel_open_async (ESIM_CHANNEL (f->channel), aid, NULL, async_done, f);
	channel = esim_channel_open_finish (ESIM_CHANNEL (f->channel), wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070000001\""), ==, 1);
	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	isdr_open (f);
	assert_eid (f);
	isdr_close (f);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CSIM=10,\"0070000001\""), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

/* A modem with neither +CCHO/+CGLA nor +CSIM, and ports that are not there. */
static void
test_unusable (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimChannelAt) missing = esim_channel_at_new ("/nonexistent/ttyUSB9");
	g_autoptr(EsimChannelAt) not_tty = esim_channel_at_new ("/dev/null");
	g_autoptr(GError) error = NULL;

	g_assert_cmpint (channel_open (f, &error), <, 0);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_NO_CHANNEL);
	g_assert_nonnull (strstr (error->message, "AT+CSIM"));
	g_clear_error (&error);
	g_assert_false (esim_channel_at_is_port_open (f->channel));

	esim_channel_at_prepare_async (missing, NULL, async_done, f);
	g_assert_false (esim_channel_at_prepare_finish (missing, wait_result (f), &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "/nonexistent/ttyUSB9"));
	g_clear_error (&error);

	esim_channel_at_prepare_async (not_tty, NULL, async_done, f);
	g_assert_false (esim_channel_at_prepare_finish (not_tty, wait_result (f), &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "not a serial port"));
}

/* A modem that stops answering: "timed out", no hang, and the port works
 * again once the modem does, with our channel kept across the reopen. */
static void
test_timeout (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *answer = NULL;
	gint64 start;
	guint closes;
	gint channel;

	esim_channel_at_set_timeout (f->channel, 300);
	g_assert_cmpuint (esim_channel_at_get_timeout (f->channel), ==, 300);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	closes = fake_at_modem_count_commands (f->modem, "AT+CCHC=1");

	fake_at_modem_set_flags (f->modem, FAKE_AT_MODEM_FLAG_HANG);
	start = g_get_monotonic_time ();
	g_assert_null (channel_transmit (f, channel, GET_EID_CH1, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "timed out"));
	g_assert_nonnull (strstr (error->message, "AT+CGLA"));
	g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
	g_assert_false (esim_channel_at_is_port_open (f->channel));
	g_clear_error (&error);

	/* still hanging: the reopen's probe times out as well */
	g_assert_null (channel_transmit (f, channel, GET_EID_CH1, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "timed out"));
	g_clear_error (&error);

	fake_at_modem_set_flags (f->modem, FAKE_AT_MODEM_FLAG_NONE);
	answer = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (answer, ==, "6115");
	/* the reopen closed nothing: ours is still in use */
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=2"), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=1"), ==, closes);
	g_clear_pointer (&answer, g_free);

	/* one command the modem swallows */
	fake_at_modem_inject_fault (f->modem, "AT+CGLA=", 1, FAKE_AT_FAULT_SILENT);
	g_assert_null (channel_transmit (f, channel, GET_EID_CH1, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_clear_error (&error);
	answer = channel_transmit (f, channel, GET_EID_CH1, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (answer, ==, "6115");

	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->modem), ==, 0);
}

static void
cancelled_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GError **error = user_data;
	g_autoptr(GBytes) response = esim_channel_transmit_finish (ESIM_CHANNEL (source), res,
	                                                           error);

	g_assert_null (response);
}

/* A command cancelled while the modem works on it returns at once; its late
 * answer is not taken for the next command's. */
static void
test_cancel (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new ();
	g_autoptr(GBytes) command = esim_hex_decode (GET_EID_CH1, NULL);
	g_autoptr(GError) cancelled = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *answer = NULL;
	guint cglas;
	gint channel;

	channel = channel_open (f, &error);
	g_assert_no_error (error);
	fake_at_modem_set_answer_delay (f->modem, 200);

	cglas = fake_at_modem_count_commands (f->modem, "AT+CGLA=");
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), channel, command, cancellable,
	                             cancelled_done, &cancelled);
	esim_test_wait_until (fake_at_modem_count_commands (f->modem, "AT+CGLA=") != cglas,
	                      "the modem to receive the AT+CGLA");
	g_cancellable_cancel (cancellable);
	esim_test_wait_until (cancelled != NULL, "the cancelled transmit to end");
	g_assert_error (cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED);

	/* queued behind the abandoned STORE DATA: gets its own answer, not 6115 */
	answer = channel_transmit (f, channel, GET_RESPONSE_CH1, &error);
	g_assert_no_error (error);
	g_assert_true (g_str_has_prefix (answer, "BF3E12"));

	/* cancelled before it was written: never reaches the modem */
	g_clear_error (&cancelled);
	cglas = fake_at_modem_count_commands (f->modem, "AT+CGLA=");
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), channel, command, cancellable,
	                             cancelled_done, &cancelled);
	esim_test_wait_until (cancelled != NULL, "the transmit cancelled before it was written");
	g_assert_error (cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	esim_test_spin (300);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CGLA="), ==, cglas);

	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
}

static void
concurrent_transmit_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GPtrArray *answers = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) response = esim_channel_transmit_finish (ESIM_CHANNEL (source), res,
	                                                           &error);

	g_assert_no_error (error);
	g_ptr_array_add (answers, esim_hex_encode_bytes (response));
}

static void
concurrent_prepare_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	guint *n_prepared = user_data;
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_channel_at_prepare_finish (ESIM_CHANNEL_AT (source), res, &error));
	g_assert_no_error (error);
	(*n_prepared)++;
}

/* Callers that do not wait for each other: a single probe for all of them,
 * then one command at a time, in order. */
static void
test_concurrent (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
	g_autoptr(GBytes) store_data = esim_hex_decode (GET_EID_CH1, NULL);
	g_autoptr(GBytes) get_response = esim_hex_decode (GET_RESPONSE_CH1, NULL);
	g_autoptr(GError) error = NULL;
	guint n_prepared = 0;
	gint channel;

	esim_channel_at_prepare_async (f->channel, NULL, concurrent_prepare_done, &n_prepared);
	esim_channel_at_prepare_async (f->channel, NULL, concurrent_prepare_done, &n_prepared);
	channel = channel_open (f, &error);
	g_assert_no_error (error);
	g_assert_cmpint (channel, ==, 1);
	esim_test_wait_until (n_prepared == 2, "both prepares to complete (%u did)", n_prepared);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHO=?"), ==, 1);
	g_assert_cmpuint (fake_at_modem_count_commands (f->modem, "AT+CCHC=1"), ==, 0);

	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), channel, store_data, NULL,
	                             concurrent_transmit_done, answers);
	esim_channel_transmit_async (ESIM_CHANNEL (f->channel), channel, get_response, NULL,
	                             concurrent_transmit_done, answers);
	esim_test_wait_until (answers->len == 2, "both answers (%u came)", answers->len);
	g_assert_cmpstr (g_ptr_array_index (answers, 0), ==, "6115");
	g_assert_true (g_str_has_prefix (g_ptr_array_index (answers, 1), "BF3E12"));

	g_assert_true (channel_close (f, channel, &error));
	g_assert_no_error (error);
}

/* The modem disappears: mid-command, and while idle. */
static void
test_port_gone (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gint channel;

	isdr_open (f);
	channel = esim_isdr_get_logical_channel (f->isdr);
	fake_at_modem_inject_fault (f->modem, "AT+CGLA=", 1, FAKE_AT_FAULT_HANG_UP);
	g_assert_null (get_eid (f, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_assert_nonnull (strstr (error->message, "gone"));
	g_clear_error (&error);
	g_assert_true (fake_at_modem_is_hung_up (f->modem));
	g_assert_false (esim_channel_at_is_port_open (f->channel));

	/* the next call tries to reopen and cannot */
	g_assert_null (channel_transmit (f, channel, GET_EID_CH1, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
	g_clear_error (&error);
	g_assert_false (channel_close (f, channel, &error));
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
}

static void
test_port_gone_idle (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	esim_channel_at_prepare_async (f->channel, NULL, async_done, f);
	g_assert_true (esim_channel_at_prepare_finish (f->channel, wait_result (f), &error));
	g_assert_no_error (error);
	g_assert_true (esim_channel_at_is_port_open (f->channel));

	fake_at_modem_hang_up (f->modem);
	/* noticed without a command in flight */
	esim_test_wait_until_ms (2000, !esim_channel_at_is_port_open (f->channel),
	                         "the AT channel to notice that the modem hung up");
	g_assert_cmpint (channel_open (f, &error), <, 0);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

#define ADD(path, flags, fn)                                                                 \
	g_test_add ("/esim/at/" path, Fixture, GUINT_TO_POINTER (flags), fixture_setup, fn, \
	            fixture_teardown)

	ADD ("open-transmit-close", FAKE_AT_MODEM_FLAG_NONE, test_open_transmit_close);
	ADD ("foreign-sessions", FAKE_AT_MODEM_FLAG_NONE, test_foreign_sessions);
	ADD ("foreign-sessions-no-csim", FAKE_AT_MODEM_FLAG_NO_CSIM, test_foreign_sessions);
	ADD ("foreign-sessions-mapped", FAKE_AT_MODEM_FLAG_NONE, test_foreign_sessions_mapped);
	ADD ("foreign-sessions-mapped-no-csim", FAKE_AT_MODEM_FLAG_NO_CSIM,
	     test_foreign_sessions_mapped);
	ADD ("session-ids-257", FAKE_AT_MODEM_FLAG_NONE, test_session_ids);
	ADD ("session-ids-grow", FAKE_AT_MODEM_FLAG_NONE, test_session_ids_grow);
	ADD ("cmee", FAKE_AT_MODEM_FLAG_NONE, test_cmee);
	ADD ("no-cmee", FAKE_AT_MODEM_FLAG_NO_CMEE, test_cmee);
	ADD ("ccho-refused", FAKE_AT_MODEM_FLAG_CCHO_REFUSED, test_ccho_refused);
	ADD ("ccho-refused-plain-error", FAKE_AT_MODEM_FLAG_CCHO_REFUSED | FAKE_AT_MODEM_FLAG_NO_CMEE,
	     test_ccho_refused);
	ADD ("ccho-refused-no-csim", FAKE_AT_MODEM_FLAG_CCHO_REFUSED | FAKE_AT_MODEM_FLAG_NO_CSIM,
	     test_ccho_refused);
	ADD ("es10", FAKE_AT_MODEM_FLAG_NONE, test_es10);
	ADD ("enable-card-reset", FAKE_AT_MODEM_FLAG_NONE, test_enable_card_reset);
	ADD ("es10-auto-get-response", FAKE_AT_MODEM_FLAG_AUTO_GET_RESPONSE, test_auto_get_response);
	ADD ("csim-fallback", FAKE_AT_MODEM_FLAG_NO_LOGICAL, test_csim_fallback);
	ADD ("no-cchc", FAKE_AT_MODEM_FLAG_NO_CCHC, test_no_cchc);
	ADD ("no-cchc-no-csim", FAKE_AT_MODEM_FLAG_NO_CCHC | FAKE_AT_MODEM_FLAG_NO_CSIM,
	     test_no_cchc);
	ADD ("echo-urcs",
	     FAKE_AT_MODEM_FLAG_ECHO | FAKE_AT_MODEM_FLAG_URCS | FAKE_AT_MODEM_FLAG_BARE_CCHO,
	     test_echo_and_urcs);
	ADD ("error-mid-sequence", FAKE_AT_MODEM_FLAG_NONE, test_error_mid_sequence);
	ADD ("unusable", FAKE_AT_MODEM_FLAG_NO_LOGICAL | FAKE_AT_MODEM_FLAG_NO_CSIM, test_unusable);
	ADD ("timeout", FAKE_AT_MODEM_FLAG_NONE, test_timeout);
	ADD ("cancel", FAKE_AT_MODEM_FLAG_NONE, test_cancel);
	ADD ("concurrent", FAKE_AT_MODEM_FLAG_NONE, test_concurrent);
	ADD ("port-gone", FAKE_AT_MODEM_FLAG_NONE, test_port_gone);
	ADD ("port-gone-idle", FAKE_AT_MODEM_FLAG_NONE, test_port_gone_idle);

	return g_test_run ();
}
