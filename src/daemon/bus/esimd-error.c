/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-der.h"
#include "esim-error.h"
#include "esim-veuicc.h"
#include "esimd-error.h"

static const GDBusErrorEntry esimd_error_entries[] = {
	{ ESIMD_ERROR_FAILED, "org.freedesktop.Esimd1.Error.Failed" },
	{ ESIMD_ERROR_NOT_FOUND, "org.freedesktop.Esimd1.Error.NotFound" },
	{ ESIMD_ERROR_INVALID_ARGS, "org.freedesktop.Esimd1.Error.InvalidArgs" },
	{ ESIMD_ERROR_BUSY, "org.freedesktop.Esimd1.Error.Busy" },
	{ ESIMD_ERROR_CARD_ERROR, "org.freedesktop.Esimd1.Error.CardError" },
	{ ESIMD_ERROR_UNAUTHORIZED, "org.freedesktop.Esimd1.Error.Unauthorized" },
	{ ESIMD_ERROR_WRONG_STATE, "org.freedesktop.Esimd1.Error.WrongState" },
	{ ESIMD_ERROR_NOT_SUPPORTED, "org.freedesktop.Esimd1.Error.NotSupported" },
	{ ESIMD_ERROR_SERVER_ERROR, "org.freedesktop.Esimd1.Error.ServerError" },
	{ ESIMD_ERROR_TIMEOUT, "org.freedesktop.Esimd1.Error.Timeout" },
	{ ESIMD_ERROR_ALREADY_INSTALLED, "org.freedesktop.Esimd1.Error.AlreadyInstalled" },
	{ ESIMD_ERROR_CARD_FULL, "org.freedesktop.Esimd1.Error.CardFull" },
	{ ESIMD_ERROR_SERVER_UNREACHABLE, "org.freedesktop.Esimd1.Error.ServerUnreachable" },
	{ ESIMD_ERROR_SERVER_NOT_TRUSTED, "org.freedesktop.Esimd1.Error.ServerNotTrusted" },
	{ ESIMD_ERROR_CONFIRMATION_CODE_REQUIRED,
	  "org.freedesktop.Esimd1.Error.ConfirmationCodeRequired" },
	{ ESIMD_ERROR_CONFIRMATION_CODE_REFUSED,
	  "org.freedesktop.Esimd1.Error.ConfirmationCodeRefused" },
	{ ESIMD_ERROR_CARD_REFUSED, "org.freedesktop.Esimd1.Error.CardRefused" },
};

GQuark
esimd_error_quark (void)
{
	static gsize quark = 0;

	g_dbus_error_register_error_domain ("esimd-error-quark", &quark, esimd_error_entries,
	                                    G_N_ELEMENTS (esimd_error_entries));
	return (GQuark) quark;
}

static GError *
normalize_apdu_error (const GError *error)
{
	switch (error->code) {
	case ESIM_APDU_ERROR_TRANSPORT:
	case ESIM_APDU_ERROR_CHANNEL_CLOSED:
	case ESIM_APDU_ERROR_SESSION_LOST:
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                    "the eUICC cannot be reached: %s", error->message);
	case ESIM_APDU_ERROR_NO_CHANNEL:
	case ESIM_APDU_ERROR_NOT_FOUND:
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                    "the eUICC's ISD-R cannot be opened: %s", error->message);
	default:
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                    "the eUICC refused the command: %s", error->message);
	}
}

static GError *
normalize_es10_error (const GError *error)
{
	switch (error->code) {
	case ESIM_ES10_ERROR_NOT_FOUND:
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND, error->message);
	case ESIM_ES10_ERROR_WRONG_STATE:
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_WRONG_STATE, error->message);
	default:
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR, error->message);
	}
}

GError *
esimd_error_normalize (const GError *error)
{
	g_return_val_if_fail (error != NULL, NULL);

	if (error->domain == ESIMD_ERROR)
		return g_error_copy (error);
	if (error->domain == ESIM_ES10_ERROR)
		return normalize_es10_error (error);
	if (error->domain == ESIM_APDU_ERROR)
		return normalize_apdu_error (error);
	if (error->domain == ESIM_DER_ERROR)
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR,
		                    "the eUICC sent an answer that cannot be decoded: %s",
		                    error->message);
	if (error->domain == ESIM_VEUICC_ERROR)
		return g_error_new (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR, "the software eUICC: %s",
		                    error->message);
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, "cancelled");
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_TIMEOUT, error->message);
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_NOT_SUPPORTED, error->message);

	/* remote D-Bus errors carry their name in the message: drop it */
	if (g_dbus_error_is_remote_error (error)) {
		g_autoptr(GError) copy = g_error_copy (error);
		g_dbus_error_strip_remote_error (copy);
		return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, copy->message);
	}
	return g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_FAILED, error->message);
}

void
esimd_error_return (GDBusMethodInvocation *invocation, const GError *error)
{
	g_autoptr(GError) normalized = esimd_error_normalize (error);

	g_dbus_method_invocation_return_gerror (invocation, normalized);
}
