/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES10b download calls against the software eUICC, as far as it answers
 * them today: GetEuiccChallenge (a fresh 16-byte challenge each time) and the
 * EUICCInfo1 whose raw BF20 goes to ES9+ initiateAuthentication.  The card is
 * written from the ASN.1 independently of the client.
 */

#include "esim-channel-virtual.h"
#include "esim-es10-download.h"
#include "esim-test-wait.h"
#include "esim-veuicc.h"

#define WAIT_SECONDS 10

typedef struct {
	GAsyncResult *result;
} Waiter;

static void
got_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Waiter *waiter = user_data;

	g_assert_null (waiter->result);
	waiter->result = g_object_ref (res);
}

static GAsyncResult *
wait_for (Waiter *waiter, const gchar *what)
{
	esim_test_wait_until_ms (WAIT_SECONDS * 1000, waiter->result != NULL, "%s to complete", what);
	return g_steal_pointer (&waiter->result);
}

static GBytes *
get_challenge (EsimIsdr *isdr)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *challenge;
	Waiter waiter = { 0 };

	esim_es10_get_euicc_challenge (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "GetEuiccChallenge");
	challenge = esim_es10_get_euicc_challenge_finish (isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (challenge), ==, ESIM_EUICC_CHALLENGE_LENGTH);
	return challenge;
}

static void
test_challenge_and_info1 (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(EsimChannelVirtual) channel = esim_channel_virtual_new (card);
	g_autoptr(EsimIsdr) isdr = esim_isdr_new (ESIM_CHANNEL (channel));
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GBytes) first = NULL;
	g_autoptr(GBytes) second = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(GError) error = NULL;
	Waiter waiter = { 0 };

	esim_isdr_open_async (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "opening the ISD-R");
	g_assert_true (esim_isdr_open_finish (isdr, res, &error));
	g_assert_no_error (error);
	g_clear_object (&res);

	first = get_challenge (isdr);
	second = get_challenge (isdr);
	g_assert_false (g_bytes_equal (first, second));

	esim_es10_get_euicc_info1 (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "GetEUICCInfo1");
	info1 = esim_es10_get_euicc_info1_finish (isdr, res, &error);
	g_assert_no_error (error);
	g_assert_cmphex (((const guint8 *) g_bytes_get_data (info1->raw, NULL))[0], ==, 0xBF);
	g_assert_cmphex (((const guint8 *) g_bytes_get_data (info1->raw, NULL))[1], ==, 0x20);
	g_clear_object (&res);

	esim_isdr_close_async (isdr, NULL, got_result, &waiter);
	res = wait_for (&waiter, "closing the ISD-R");
	g_assert_true (esim_isdr_close_finish (isdr, res, &error));
	g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/es10/download-veuicc/challenge-and-info1", test_challenge_and_info1);
	return g_test_run ();
}
