/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software eUICC: answers the same APDUs as a real ISD-R.
 *
 * It behaves like a T=0 IoT eUICC (SGP.32 v1.2 with the SGP.22 ES10c set):
 * basic channel plus logical channels 1–3 (MANAGE CHANNEL open/close),
 * SELECT of the ISD-R by AID, segmented STORE DATA (P1 11/91, P2 block
 * numbers), responses handed out through 61xx + GET RESPONSE in pieces of at
 * most 256 bytes, and SGP.22/SGP.32 result codes on bad requests.
 *
 * As an IoT eUICC it keeps eIM configurations (AddInitialEim and the eCOs),
 * verifies their eIM packages (eimSignature, EID, counterValue), runs the
 * PSMOs, and signs EuiccPackageResults it lists until the IPA removes them
 * (esim-veuicc-package.c has the card's choices where SGP.32 is silent).
 *
 * Its whole state persists in one key file written atomically
 * (write-then-rename) after every change.  Only a regular file is read; a
 * symbolic link is written through to the file it names.  A change whose file cannot be
 * written is undone in memory as well and answered with SW 6581 (memory
 * failure), so the card always is what its file says.  A file that cannot be
 * parsed is refused with ESIM_VEUICC_ERROR_CORRUPT and never overwritten.
 *
 * Identity: a card carries credentials from a directory in the SGP.26 file
 * layout (esim-credentials.h: the CI certificates it trusts, its EUM
 * certificate, its eUICC certificate and key; its EID is the eUICC
 * certificate's), named by [card] credentials= in its file, and can then
 * download profiles from an SM-DP+ of that PKI (SGP.22 §3.1.3, with the real
 * cryptography of libesim-crypto).  A card made without credentials has keys
 * of its own, kept in its file, as every card had before credentials
 * existed: it works as before, and refuses downloads (ciPKUnknown), since no
 * SM-DP+ chains to its self-made CI.  A card never changes identity: a file
 * is not switched from one to the other.
 *
 * A seed file, a [card] group with credentials= (and optionally
 * max-profiles=) but no version, is the request for a new card with those
 * credentials: it is loaded as a fresh card and saved in full.  That is how a
 * lab gives `esimd --virtual-euicc=FILE` its credentials:
 *   [card]
 *   credentials=/path/to/pki        (relative paths: to the file's directory)
 *
 * For tests, a [faults] group in the file makes the card refuse chosen ES10
 * functions (BF22=6D00: status word 6D00 to GetEUICCInfo2; BF3C=error: an
 * error result code; BF36=6F00: every segment of a bound profile package;
 * BF51=error: LoadEuiccPackage's unsigned undefinedError), so a client can be
 * shown a card without a function.
 * Nothing else writes that group: a card created by esimd never has one.
 */
#pragma once

#include <glib-object.h>

#include "esim-file.h"

G_BEGIN_DECLS

#define ESIM_VEUICC_ERROR (esim_veuicc_error_quark ())
GQuark esim_veuicc_error_quark (void);

typedef enum {
	ESIM_VEUICC_ERROR_CORRUPT,   /* state file unreadable or inconsistent */
	ESIM_VEUICC_ERROR_IO,        /* state file could not be read or written */
} EsimVeuiccError;

#define ESIM_TYPE_VEUICC (esim_veuicc_get_type ())
G_DECLARE_FINAL_TYPE (EsimVeuicc, esim_veuicc, ESIM, VEUICC, GObject)

/* How a new card is made. */
typedef struct {
	const gchar *credentials_dir;  /* SGP.26 layout; NULL: keys and EID of its own */
	guint        max_profiles;     /* room for this many profiles; 0: 64 */
	const gchar *eid;              /* without credentials: the EID to have (a test card
	                                * answering for a real one); NULL: a fresh one */
} EsimVeuiccOptions;

/* Loads @path; if it does not exist and @create is TRUE, creates a new card
 * with a fresh EID, keys and certificates and two demo profiles (one enabled)
 * and saves it.  Anything but a regular file (or a missing one) is refused
 * with ESIM_VEUICC_ERROR_IO.  Deletes the temporaries of a save that was
 * killed half-way. */
EsimVeuicc  *esim_veuicc_new_from_file (const gchar *path, gboolean create, GError **error);
/* The same, a new card made with @options (NULL: as above).  An existing
 * card must have the credentials @options names, if any (else
 * ESIM_VEUICC_ERROR_IO naming both): its identity is its own. */
EsimVeuicc  *esim_veuicc_new_from_file_full (const gchar *path, gboolean create,
                                             const EsimVeuiccOptions *options, GError **error);
/* A card that lives in memory only (fuzzing, unit tests); same demo content. */
EsimVeuicc  *esim_veuicc_new_ephemeral (void);
/* The same with @options; NULL with an error when the credentials do not load. */
EsimVeuicc  *esim_veuicc_new_ephemeral_full (const EsimVeuiccOptions *options, GError **error);

const gchar *esim_veuicc_get_eid (EsimVeuicc *self);
/* The credentials directory as the card names it; NULL for keys of its own. */
const gchar *esim_veuicc_get_credentials_dir (EsimVeuicc *self);
/* The state file, symbolic links resolved; NULL when ephemeral. */
const gchar *esim_veuicc_get_path (EsimVeuicc *self);
/* Device and inode of that file as last read or written; NULL when ephemeral. */
const EsimFileId *esim_veuicc_get_file_id (EsimVeuicc *self);

/* Processes one command APDU; always returns response data + SW1 SW2. */
GBytes      *esim_veuicc_process_apdu (EsimVeuicc *self, GBytes *command);

/* Simulates a card reset (power cycle): closes logical channels, drops
 * pending responses.  Persistent state is unaffected. */
void         esim_veuicc_reset (EsimVeuicc *self);

/* Test helpers: add a profile directly (as if downloaded; disabled, saved like
 * any change: ESIM_VEUICC_ERROR_IO and no profile when the file cannot be
 * written), count state. */
gboolean     esim_veuicc_add_profile (EsimVeuicc *self, const gchar *iccid, const gchar *name,
                                      const gchar *provider, const gchar *profile_class /* "test"|"provisioning"|"operational" */,
                                      GError **error);
guint        esim_veuicc_get_n_profiles (EsimVeuicc *self);
guint        esim_veuicc_get_n_notifications (EsimVeuicc *self);
/* The enabled profile's ICCID (digits, as given), or NULL. */
const gchar *esim_veuicc_get_enabled_iccid (EsimVeuicc *self);

G_END_DECLS
