/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-modem switches of the MBIM backend, for modems that only reach the
 * eUICC through MS UICC low-level access when the APDUs are coded their way
 * (lpac#438, ChromeOS Hermes modem_mbim.cc, anchors.md §8.2/§8.3).
 *
 * They live in a key file (data/mbim-quirks.conf) with one group per modem:
 *
 *   [usb:VVVV:PPPP]           USB vendor and product id, 4 hex digits each
 *   [model:PATTERN]           ModemManager's model string; * and ? are
 *                             wildcards, matching ignores case
 *
 * and the keys
 *
 *   ClassByte=extended|interindustry   MBIM ClassByteType of every APDU
 *   SelectP2=0x0C                      P2 of the SELECT the modem sends on Open Channel
 *   AppendLe=true                      append Le=00 to STORE DATA sent without Le
 *   SkipSlotMapping=true               never query or set the slot mapping
 *   ChannelGroup=2                     channel group of our logical channels
 *
 * Matching model groups apply in file order, then the usb group, so the
 * most specific entry wins.  Nothing here needs libmbim.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	ESIM_MBIM_CLASS_BYTE_INTER_INDUSTRY, /* MBIM_UICC_CLASS_BYTE_TYPE_INTER_INDUSTRY */
	ESIM_MBIM_CLASS_BYTE_EXTENDED,       /* MBIM_UICC_CLASS_BYTE_TYPE_EXTENDED */
} EsimMbimClassByte;

/* ModemManager opens its own channels (EID read) in group 1. */
#define ESIM_MBIM_CHANNEL_GROUP_MODEMMANAGER 1
#define ESIM_MBIM_CHANNEL_GROUP_DEFAULT      2
/* FCP template, as ModemManager and Hermes send it */
#define ESIM_MBIM_SELECT_P2_DEFAULT          0x04

typedef struct {
	EsimMbimClassByte class_byte;        /* default INTER_INDUSTRY */
	guint8            select_p2;         /* default 0x04 */
	gboolean          append_le;         /* default FALSE */
	gboolean          skip_slot_mapping; /* default FALSE */
	guint32           channel_group;     /* default 2 (ModemManager uses 1) */
} EsimMbimQuirks;

/* The values used for modems without an entry. */
void      esim_mbim_quirks_init (EsimMbimQuirks *quirks);

/* Fills @out with the defaults overridden by every group of @file that
 * matches @vid:@pid (0:0 = unknown) or @model (NULL = unknown).  Every group
 * of @file is validated, matching or not: an unknown group, an unknown key or
 * a bad value gives G_KEY_FILE_ERROR_INVALID_VALUE naming group and key, and
 * @out is then left at the defaults. */
gboolean  esim_mbim_quirks_load (EsimMbimQuirks *out, GKeyFile *file, guint16 vid, guint16 pid,
                                 const gchar *model, GError **error);

/* Loads the quirks file: $ESIMD_DATADIR/mbim-quirks.conf when that variable is
 * set (tests, running from the source tree), else SYSCONFDIR/esimd/mbim-quirks.conf
 * when the administrator put one there, else esimd/mbim-quirks.conf in the
 * system data directories.  G_FILE_ERROR_NOENT when none exists. */
GKeyFile *esim_mbim_quirks_load_default_file (GError **error);

/* "class-byte=extended select-p2=0x0C append-le=yes skip-slot-mapping=no channel-group=2" */
gchar    *esim_mbim_quirks_to_string (const EsimMbimQuirks *quirks);

G_END_DECLS
