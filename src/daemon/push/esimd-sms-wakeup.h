/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS wake-up: a text message from a configured sender, or whose text
 * matches a configured pattern, makes esimd poll the eUICC of the modem that
 * received it ([sms-wakeup] Senders=, Pattern=, Delete=).  SGP.32 defines no
 * wake-up (digest §3.8: how a transfer is triggered is out of scope); this is
 * the "poll now" hook the digest recommends for a vendor SMS.
 *
 * Messages come through ModemManager's org.freedesktop.ModemManager1.Modem.Messaging
 * (libmm-glib MMModemMessaging, MMSms), only on the modems esimd uses for an
 * eUICC: the ones already stored when a modem is added (List), then each
 * "Added" (path, received=TRUE).  A message is judged once it is complete
 * (State RECEIVED; a multipart message is RECEIVING until its last part).
 * A wake-up message is deleted (unless Delete=false) so it does not fill the
 * storage and does not wake esimd again at the next start; every other
 * message is left alone, unread by esimd.  Senders are compared with the
 * Number ModemManager shows, as written (e.g. "+491701234567"); the pattern
 * (GRegex) is searched in the Text.  Numbers are masked in the log.
 *
 * Built without libmm-glib, esimd_sms_wakeup_new() fails.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Called for every wake-up message, with the object path of the modem that got it. */
typedef void (*EsimdSmsWakeupFunc) (const gchar *modem_path, gpointer user_data);

#define ESIMD_TYPE_SMS_WAKEUP (esimd_sms_wakeup_get_type ())
G_DECLARE_FINAL_TYPE (EsimdSmsWakeup, esimd_sms_wakeup, ESIMD, SMS_WAKEUP, GObject)

/* @senders: NULL-terminated, may be NULL; @pattern: a GRegex, NULL for none.
 * With neither there is nothing to wake up on: G_IO_ERROR_INVALID_ARGUMENT. */
EsimdSmsWakeup *esimd_sms_wakeup_new (GDBusConnection *connection,
                                      const gchar *const *senders, const gchar *pattern,
                                      gboolean delete_wakeups, EsimdSmsWakeupFunc func,
                                      gpointer user_data, GError **error);
/* Follows the messages of the modem at @modem_path (ModemManager's object
 * path); adding it again is harmless. */
void            esimd_sms_wakeup_add_modem (EsimdSmsWakeup *self, const gchar *modem_path);
void            esimd_sms_wakeup_remove_modem (EsimdSmsWakeup *self, const gchar *modem_path);
/* Messages that woke esimd so far. */
guint           esimd_sms_wakeup_get_n_wakeups (EsimdSmsWakeup *self);

G_END_DECLS
