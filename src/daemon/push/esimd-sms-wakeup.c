/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <string.h>

#ifdef WITH_MODEMMANAGER
#include <libmm-glib.h>
#endif

#include "esim-util.h"
#include "esimd-modem-watcher.h"
#include "esimd-sms-wakeup.h"

/* messages waiting for their last part, per modem: a bound on what a flood of
 * never-completed multipart messages can make esimd hold */
#define SMS_WAKEUP_MAX_PENDING 32

struct _EsimdSmsWakeup {
	GObject             parent_instance;
	GDBusConnection    *connection;
	GPtrArray          *senders;       /* gchar* */
	GRegex             *pattern;       /* NULL: none */
	gboolean            delete_wakeups;
	EsimdSmsWakeupFunc  func;
	gpointer            func_data;
	GHashTable         *modems;        /* modem path -> SmsModem* */
	guint               n_wakeups;
};

G_DEFINE_TYPE (EsimdSmsWakeup, esimd_sms_wakeup, G_TYPE_OBJECT)

#ifdef WITH_MODEMMANAGER

/* One followed modem.  Async steps hold a reference to it and do nothing once
 * it is @gone (removed, or esimd stopping). */
typedef struct {
	gint              ref_count;
	EsimdSmsWakeup   *owner;        /* not a reference; NULL once gone */
	gchar            *path;
	GCancellable     *cancellable;
	MMModemMessaging *messaging;
	GHashTable       *seen;         /* SMS paths judged or being judged */
	GHashTable       *pending;      /* SMS path -> MMSms, waiting for State RECEIVED */
} SmsModem;

static SmsModem *
sms_modem_ref (SmsModem *modem)
{
	modem->ref_count++;
	return modem;
}

static void
sms_modem_unref (SmsModem *modem)
{
	if (--modem->ref_count > 0)
		return;
	g_clear_object (&modem->messaging);
	g_clear_object (&modem->cancellable);
	g_hash_table_unref (modem->seen);
	g_hash_table_unref (modem->pending);
	g_free (modem->path);
	g_free (modem);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SmsModem, sms_modem_unref)

static void
sms_modem_gone (SmsModem *modem)
{
	GHashTableIter iter;
	gpointer value;

	modem->owner = NULL;
	g_cancellable_cancel (modem->cancellable);
	if (modem->messaging != NULL)
		g_signal_handlers_disconnect_by_data (modem->messaging, modem);
	g_hash_table_iter_init (&iter, modem->pending);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		g_signal_handlers_disconnect_by_data (value, modem);
	g_hash_table_remove_all (modem->pending);
	sms_modem_unref (modem);
}

static gboolean
sms_is_wakeup (EsimdSmsWakeup *self, const gchar *number, const gchar *text)
{
	for (guint i = 0; number != NULL && i < self->senders->len; i++) {
		if (g_strcmp0 (g_ptr_array_index (self->senders, i), number) == 0)
			return TRUE;
	}
	return self->pattern != NULL && text != NULL && g_regex_match (self->pattern, text, 0, NULL);
}

static void
sms_deleted_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SmsModem) modem = user_data;
	g_autoptr(GError) error = NULL;

	if (!mm_modem_messaging_delete_finish (MM_MODEM_MESSAGING (source), res, &error) &&
	    !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_warning ("SMS wake-up on %s: cannot delete the message: %s", modem->path,
		           error->message);
}

/* A complete message: a wake-up or none of ours. */
static void
sms_judge (SmsModem *modem, MMSms *sms)
{
	EsimdSmsWakeup *self = modem->owner;
	const gchar *number = mm_sms_get_number (sms);
	const gchar *path = mm_sms_get_path (sms);
	g_autofree gchar *masked = esim_log_personal (number);

	if (!sms_is_wakeup (self, number, mm_sms_get_text (sms))) {
		g_debug ("SMS wake-up on %s: the message %s from %s is not a wake-up: left alone",
		         modem->path, path, masked);
		return;
	}
	self->n_wakeups++;
	g_message ("SMS wake-up on %s: a wake-up message from %s: polling", modem->path, masked);
	if (self->delete_wakeups)
		mm_modem_messaging_delete (modem->messaging, path, modem->cancellable, sms_deleted_cb,
		                           sms_modem_ref (modem));
	self->func (modem->path, self->func_data);
}

static void
sms_state_changed_cb (MMSms *sms, GParamSpec *pspec, gpointer user_data)
{
	SmsModem *modem = user_data;

	if (modem->owner == NULL || mm_sms_get_state (sms) != MM_SMS_STATE_RECEIVED)
		return;
	/* the table held the message: keep it while it is judged */
	g_object_ref (sms);
	g_signal_handlers_disconnect_by_data (sms, modem);
	g_hash_table_remove (modem->pending, mm_sms_get_path (sms));
	sms_judge (modem, sms);
	g_object_unref (sms);
}

static void
sms_consider (SmsModem *modem, MMSms *sms)
{
	switch (mm_sms_get_state (sms)) {
	case MM_SMS_STATE_RECEIVED:
		sms_judge (modem, sms);
		return;
	case MM_SMS_STATE_RECEIVING:
		if (g_hash_table_size (modem->pending) >= SMS_WAKEUP_MAX_PENDING) {
			g_debug ("SMS wake-up on %s: %u incomplete messages already: %s not followed",
			         modem->path, g_hash_table_size (modem->pending), mm_sms_get_path (sms));
			return;
		}
		g_hash_table_insert (modem->pending, g_strdup (mm_sms_get_path (sms)),
		                     g_object_ref (sms));
		g_signal_connect (sms, "notify::state", G_CALLBACK (sms_state_changed_cb), modem);
		return;
	default:
		/* stored, sending or sent: written here, not received */
		return;
	}
}

static void
sms_proxy_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SmsModem) modem = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), res,
	                                                         &error);

	if (object == NULL) {
		if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug ("SMS wake-up on %s: a new message cannot be read: %s", modem->path,
			         error->message);
		return;
	}
	if (modem->owner != NULL)
		sms_consider (modem, MM_SMS (object));
}

/* The MMSms of @path, built the way mm_modem_messaging_list() builds them. */
static void
sms_read (SmsModem *modem, const gchar *path)
{
	if (g_hash_table_contains (modem->seen, path))
		return;
	g_hash_table_add (modem->seen, g_strdup (path));
	g_async_initable_new_async (MM_TYPE_SMS, G_PRIORITY_DEFAULT, modem->cancellable,
	                            sms_proxy_ready, sms_modem_ref (modem),
	                            "g-flags", G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
	                            "g-name", ESIMD_MM_BUS_NAME,
	                            "g-connection", modem->owner->connection,
	                            "g-object-path", path,
	                            "g-interface-name", "org.freedesktop.ModemManager1.Sms",
	                            NULL);
}

static void
sms_added_cb (MMModemMessaging *messaging, const gchar *path, gboolean received,
              gpointer user_data)
{
	SmsModem *modem = user_data;

	/* messages written on this side are never a wake-up */
	if (modem->owner == NULL || !received)
		return;
	sms_read (modem, path);
}

static void
sms_deleted_signal_cb (MMModemMessaging *messaging, const gchar *path, gpointer user_data)
{
	SmsModem *modem = user_data;
	MMSms *sms = g_hash_table_lookup (modem->pending, path);

	if (sms != NULL) {
		g_signal_handlers_disconnect_by_data (sms, modem);
		g_hash_table_remove (modem->pending, path);
	}
	g_hash_table_remove (modem->seen, path);
}

static void
sms_list_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SmsModem) modem = user_data;
	g_autoptr(GError) error = NULL;
	GList *list = mm_modem_messaging_list_finish (MM_MODEM_MESSAGING (source), res, &error);

	if (error != NULL) {
		if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_warning ("SMS wake-up on %s: cannot list the stored messages: %s", modem->path,
			           error->message);
		return;
	}
	g_debug ("SMS wake-up on %s: %u stored messages", modem->path, g_list_length (list));
	for (GList *l = list; l != NULL && modem->owner != NULL; l = l->next) {
		MMSms *sms = l->data;

		if (g_hash_table_contains (modem->seen, mm_sms_get_path (sms)))
			continue;
		g_hash_table_add (modem->seen, g_strdup (mm_sms_get_path (sms)));
		sms_consider (modem, sms);
	}
	g_list_free_full (list, g_object_unref);
}

static void
sms_messaging_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SmsModem) modem = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), res,
	                                                         &error);

	if (object == NULL) {
		if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_warning ("SMS wake-up on %s: no Messaging interface: %s", modem->path,
			           error->message);
		return;
	}
	if (modem->owner == NULL)
		return;
	modem->messaging = MM_MODEM_MESSAGING (g_steal_pointer (&object));
	/* first the signals, then the list: a message in between is seen twice, and judged once */
	g_signal_connect (modem->messaging, "added", G_CALLBACK (sms_added_cb), modem);
	g_signal_connect (modem->messaging, "deleted", G_CALLBACK (sms_deleted_signal_cb), modem);
	mm_modem_messaging_list (modem->messaging, modem->cancellable, sms_list_ready,
	                         sms_modem_ref (modem));
}

void
esimd_sms_wakeup_add_modem (EsimdSmsWakeup *self, const gchar *modem_path)
{
	SmsModem *modem;

	g_return_if_fail (ESIMD_IS_SMS_WAKEUP (self));
	g_return_if_fail (modem_path != NULL);

	if (g_hash_table_contains (self->modems, modem_path))
		return;
	modem = g_new0 (SmsModem, 1);
	modem->ref_count = 1;
	modem->owner = self;
	modem->path = g_strdup (modem_path);
	modem->cancellable = g_cancellable_new ();
	modem->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	modem->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
	g_hash_table_insert (self->modems, g_strdup (modem_path), modem);
	g_debug ("SMS wake-up: following the messages of %s", modem_path);
	g_async_initable_new_async (MM_TYPE_MODEM_MESSAGING, G_PRIORITY_DEFAULT, modem->cancellable,
	                            sms_messaging_ready, sms_modem_ref (modem),
	                            "g-flags", G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
	                            "g-name", ESIMD_MM_BUS_NAME,
	                            "g-connection", self->connection,
	                            "g-object-path", modem_path,
	                            "g-interface-name",
	                            "org.freedesktop.ModemManager1.Modem.Messaging",
	                            NULL);
}

void
esimd_sms_wakeup_remove_modem (EsimdSmsWakeup *self, const gchar *modem_path)
{
	g_return_if_fail (ESIMD_IS_SMS_WAKEUP (self));

	g_hash_table_remove (self->modems, modem_path);
}

#else /* !WITH_MODEMMANAGER */

void
esimd_sms_wakeup_add_modem (EsimdSmsWakeup *self, const gchar *modem_path)
{
}

void
esimd_sms_wakeup_remove_modem (EsimdSmsWakeup *self, const gchar *modem_path)
{
}

#endif /* WITH_MODEMMANAGER */

EsimdSmsWakeup *
esimd_sms_wakeup_new (GDBusConnection *connection, const gchar *const *senders,
                      const gchar *pattern, gboolean delete_wakeups, EsimdSmsWakeupFunc func,
                      gpointer user_data, GError **error)
{
	g_autoptr(EsimdSmsWakeup) self = NULL;
	g_autoptr(GRegex) regex = NULL;

	g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
	g_return_val_if_fail (func != NULL, NULL);

#ifndef WITH_MODEMMANAGER
	g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
	                     "SMS wake-up needs ModemManager, and esimd was built without it");
	return NULL;
#endif
	if ((senders == NULL || senders[0] == NULL) && pattern == NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                     "SMS wake-up needs senders or a pattern");
		return NULL;
	}
	if (pattern != NULL && (regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, error)) == NULL)
		return NULL;
	self = g_object_new (ESIMD_TYPE_SMS_WAKEUP, NULL);
	self->connection = g_object_ref (connection);
	for (guint i = 0; senders != NULL && senders[i] != NULL; i++)
		g_ptr_array_add (self->senders, g_strdup (senders[i]));
	self->pattern = g_steal_pointer (&regex);
	self->delete_wakeups = delete_wakeups;
	self->func = func;
	self->func_data = user_data;
	return g_steal_pointer (&self);
}

guint
esimd_sms_wakeup_get_n_wakeups (EsimdSmsWakeup *self)
{
	g_return_val_if_fail (ESIMD_IS_SMS_WAKEUP (self), 0);
	return self->n_wakeups;
}

static void
esimd_sms_wakeup_dispose (GObject *object)
{
	EsimdSmsWakeup *self = ESIMD_SMS_WAKEUP (object);

	g_hash_table_remove_all (self->modems);
	G_OBJECT_CLASS (esimd_sms_wakeup_parent_class)->dispose (object);
}

static void
esimd_sms_wakeup_finalize (GObject *object)
{
	EsimdSmsWakeup *self = ESIMD_SMS_WAKEUP (object);

	g_hash_table_unref (self->modems);
	g_ptr_array_unref (self->senders);
	g_clear_pointer (&self->pattern, g_regex_unref);
	g_clear_object (&self->connection);
	G_OBJECT_CLASS (esimd_sms_wakeup_parent_class)->finalize (object);
}

static void
esimd_sms_wakeup_class_init (EsimdSmsWakeupClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_sms_wakeup_dispose;
	object_class->finalize = esimd_sms_wakeup_finalize;
}

static void
esimd_sms_wakeup_init (EsimdSmsWakeup *self)
{
	self->senders = g_ptr_array_new_with_free_func (g_free);
#ifdef WITH_MODEMMANAGER
	self->modems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                      (GDestroyNotify) sms_modem_gone);
#else
	self->modems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
#endif
}
