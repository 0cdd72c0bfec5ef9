/* SPDX-License-Identifier: GPL-2.0-or-later */
/* esimcli notification list [--euicc EID] | process [--euicc EID] | remove SEQ [--euicc EID] */

#include <glib/gi18n.h>

#include "esimcli-output.h"

typedef struct {
	GVariant *dict;			/* a{sv} from ListNotifications */
	EsimdGdbusEuicc *euicc;
} Notification;

static void
notification_free (Notification *notification)
{
	g_variant_unref (notification->dict);
	g_object_unref (notification->euicc);
	g_free (notification);
}

/* the sequence number, tolerant of the integer type the daemon chose */
static gboolean
dict_get_seq (GVariant *dict, guint64 *seq)
{
	g_autoptr(GVariant) value = g_variant_lookup_value (dict, "seq", NULL);

	if (value == NULL)
		return FALSE;
	if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
		*seq = g_variant_get_uint64 (value);
	else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
		*seq = g_variant_get_uint32 (value);
	else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) && g_variant_get_int64 (value) >= 0)
		*seq = (guint64) g_variant_get_int64 (value);
	else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32) && g_variant_get_int32 (value) >= 0)
		*seq = (guint64) g_variant_get_int32 (value);
	else
		return FALSE;
	return TRUE;
}

static GVariant *
dict_get_string (GVariant *dict, const gchar *key)
{
	const gchar *value = NULL;

	if (!g_variant_lookup (dict, key, "&s", &value))
		return NULL;
	return g_variant_new_string (value);
}

static GVariant *
get_seq (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	guint64 seq = 0;

	if (!dict_get_seq (notification->dict, &seq))
		return NULL;
	return g_variant_new_uint64 (seq);
}

static GVariant *
get_operation (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "operation");
}

static GVariant *
get_address (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "address");
}

static GVariant *
get_iccid (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "iccid");
}

/* the keys of delivery come with a state directory only: absent, the field is empty */
static GVariant *
get_route (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "route");
}

static GVariant *
get_state (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "state");
}

static GVariant *
get_attempts (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	guint32 attempts = 0;

	if (!g_variant_lookup (notification->dict, "attempts", "u", &attempts))
		return NULL;
	return g_variant_new_uint32 (attempts);
}

static GVariant *
get_next_attempt (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	g_autoptr(GDateTime) time = NULL;
	gint64 seconds = 0;

	if (!g_variant_lookup (notification->dict, "next-attempt", "x", &seconds) || seconds <= 0)
		return NULL;
	time = g_date_time_new_from_unix_utc (seconds);
	if (time == NULL)
		return NULL;
	return g_variant_new_take_string (g_date_time_format_iso8601 (time));
}

static GVariant *
get_last_error (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	return dict_get_string (notification->dict, "last-error");
}

static GVariant *
get_euicc (EsimcliCli *cli, gpointer item)
{
	Notification *notification = item;
	const gchar *eid = esimd_gdbus_euicc_get_eid (notification->euicc);
	return eid != NULL ? g_variant_new_string (eid) : NULL;
}

static const EsimcliField notification_fields[] = {
	{ "SEQ", get_seq, FALSE },
	{ "OPERATION", get_operation, FALSE },
	{ "ADDRESS", get_address, FALSE },
	{ "ICCID", get_iccid, FALSE },
	{ "ROUTE", get_route, FALSE },
	{ "STATE", get_state, FALSE },
	{ "ATTEMPTS", get_attempts, FALSE },
	{ "NEXT-ATTEMPT", get_next_attempt, FALSE },
	{ "LAST-ERROR", get_last_error, FALSE },
	{ "EUICC", get_euicc, FALSE },
	{ NULL, NULL, FALSE },
};

const EsimcliFieldTable esimcli_notification_table = {
	"notification", notification_fields,
	"SEQ,OPERATION,ADDRESS,ICCID,ROUTE,STATE,ATTEMPTS,NEXT-ATTEMPT",
};

/* Appends the notifications pending on @euicc to @notifications. */
static gboolean
read_notifications (EsimcliCli *cli, EsimdGdbusEuicc *euicc, GPtrArray *notifications,
		    GError **error)
{
	g_autoptr(GVariant) list = NULL;
	GVariantIter iter;
	GVariant *dict;

	if (!esimd_gdbus_euicc_call_list_notifications_sync (euicc, &list, NULL, error)) {
		return esimcli_convert_error (error, _("cannot list the notifications of eUICC %s"),
					      esimd_gdbus_euicc_get_eid (euicc));
	}
	g_variant_iter_init (&iter, list);
	while ((dict = g_variant_iter_next_value (&iter)) != NULL) {
		Notification *notification = g_new0 (Notification, 1);
		notification->dict = dict;
		notification->euicc = g_object_ref (euicc);
		g_ptr_array_add (notifications, notification);
	}
	return TRUE;
}

gboolean
esimcli_notification_list (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	g_autoptr(GPtrArray) notifications =
		g_ptr_array_new_with_free_func ((GDestroyNotify) notification_free);

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_notification_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;

	if (args->euicc != NULL) {
		EsimdGdbusEuicc *euicc = esimcli_find_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return FALSE;
		euiccs = g_list_append (NULL, euicc);
	} else {
		euiccs = esimcli_list_euiccs (cli);
		if (g_list_length (euiccs) > 1) {
			g_autofree gchar *fields = g_strdup_printf (
				"%s,EUICC", esimcli_notification_table.default_fields);
			esimcli_output_set_default_fields (output, fields);
		}
	}
	for (GList *l = euiccs; l != NULL; l = l->next) {
		if (!read_notifications (cli, l->data, notifications, error))
			return FALSE;
	}
	for (guint i = 0; i < notifications->len; i++)
		esimcli_output_add (output, g_ptr_array_index (notifications, i));
	esimcli_output_print_list (output);
	return TRUE;
}

/* One ProcessNotifications() on @euicc; FALSE when the call failed. */
static gboolean
process_one (EsimcliCli *cli, EsimdGdbusEuicc *euicc, guint *failed, GError **error)
{
	g_autoptr(GVariant) result = NULL;
	const gchar *eid = esimd_gdbus_euicc_get_eid (euicc);
	const gchar *route = "direct";
	guint32 delivered = 0, removed = 0, failures = 0, left = 0;

	if (!esimd_gdbus_euicc_call_process_notifications_sync (euicc, &result, NULL, error))
		return esimcli_convert_error (error, _("cannot process the notifications of eUICC %s"),
					      eid);
	g_variant_lookup (result, "route", "&s", &route);
	g_variant_lookup (result, "delivered", "u", &delivered);
	g_variant_lookup (result, "removed", "u", &removed);
	g_variant_lookup (result, "failed", "u", &failures);
	g_variant_lookup (result, "left", "u", &left);
	*failed += failures;
	if (g_strcmp0 (route, "eim") == 0) {
		esimcli_print_done (cli, _("eUICC %s: %u notification(s) wait for its eIM, which "
					   "delivers them (not sent directly)."), eid, left);
		return TRUE;
	}
	esimcli_print_done (cli, _("eUICC %s: %u delivered, %u failed, %u left on the card."), eid,
			    delivered + removed, failures, left);
	return TRUE;
}

gboolean
esimcli_notification_process (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	guint failed = 0;
	gboolean any_error = FALSE;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	if (args->euicc != NULL) {
		EsimdGdbusEuicc *euicc = esimcli_find_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return FALSE;
		euiccs = g_list_append (NULL, euicc);
	} else {
		euiccs = esimcli_list_euiccs (cli);
	}
	for (GList *l = euiccs; l != NULL; l = l->next) {
		g_autoptr(GError) local_error = NULL;

		if (process_one (cli, l->data, &failed, &local_error))
			continue;
		/* the one named: its error is the command's */
		if (args->euicc != NULL) {
			g_propagate_error (error, g_steal_pointer (&local_error));
			return FALSE;
		}
		/* one eUICC that cannot do it does not keep the others from it */
		esimcli_print_error (cli, local_error);
		any_error = TRUE;
	}
	if (failed > 0) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR,
			     _("%u notification(s) could not be delivered: “esimcli notification "
			       "list” says why and when esimd tries again"), failed);
		return FALSE;
	}
	if (any_error)
		cli->exit_code = ESIMCLI_EXIT_ERROR;
	return TRUE;
}

static const gchar *const seq_arg[] = { "SEQ", NULL };

gboolean
esimcli_notification_remove (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GPtrArray) notifications =
		g_ptr_array_new_with_free_func ((GDestroyNotify) notification_free);
	const gchar *seq_text;
	g_autofree gchar *seq_shown = NULL;
	guint64 seq = 0;
	gboolean found = FALSE;

	if (!esimcli_expect_args (args, 1, 1, seq_arg, error))
		return FALSE;
	seq_text = g_ptr_array_index (args->positional, 0);
	if (!g_ascii_string_to_unsigned (seq_text, 10, 0, G_MAXUINT64, &seq, NULL))
		return esimcli_usage_error (error, _("invalid sequence number '%s'"), seq_text);
	seq_shown = g_strdup_printf ("%" G_GUINT64_FORMAT, seq);
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	euicc = esimcli_pick_euicc (cli, args->euicc, error);
	if (euicc == NULL)
		return FALSE;

	/* an unknown SEQ is "not found" whatever the card would answer */
	if (!read_notifications (cli, euicc, notifications, error))
		return FALSE;
	for (guint i = 0; i < notifications->len && !found; i++) {
		Notification *notification = g_ptr_array_index (notifications, i);
		guint64 pending_seq = 0;
		found = dict_get_seq (notification->dict, &pending_seq) && pending_seq == seq;
	}
	if (!found) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
			     _("no pending notification with sequence number %s"), seq_shown);
		return FALSE;
	}
	if (!esimd_gdbus_euicc_call_remove_notification_sync (euicc, seq, NULL, error))
		return esimcli_convert_error (error, _("cannot remove notification %s"), seq_shown);
	esimcli_print_done (cli, _("Notification %s removed."), seq_shown);
	return TRUE;
}
