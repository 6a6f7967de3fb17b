#ifndef CELLTRACK_CLIBTIFF_SHIM_H
#define CELLTRACK_CLIBTIFF_SHIM_H
// libtiff through non-variadic wrappers: TIFFGetField/TIFFSetField are C variadics,
// which Swift cannot call. Each wrapper names the C type of the tag it reads or writes.
#include <tiffio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static inline int ct_get_u16(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_u32(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_float(TIFF *t, uint32_t tag, float *v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_string(TIFF *t, uint32_t tag, const char **v) { return TIFFGetField(t, tag, v); }
static inline int ct_get_u16_defaulted(TIFF *t, uint32_t tag, uint16_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
static inline int ct_get_u32_defaulted(TIFF *t, uint32_t tag, uint32_t *v) { return TIFFGetFieldDefaulted(t, tag, v); }
// Tags whose value is (count, array): ExtraSamples, SampleInfo, ...
static inline int ct_get_u16_array(TIFF *t, uint32_t tag, uint16_t *count, uint16_t **values) {
    return TIFFGetField(t, tag, count, values);
}
// ColorMap: three arrays of 2^bits uint16 entries each.
static inline int ct_get_colormap(TIFF *t, uint16_t **r, uint16_t **g, uint16_t **b) {
    return TIFFGetField(t, TIFFTAG_COLORMAP, r, g, b);
}

static inline int ct_set_u16(TIFF *t, uint32_t tag, uint16_t v) { return TIFFSetField(t, tag, (int)v); }
static inline int ct_set_u32(TIFF *t, uint32_t tag, uint32_t v) { return TIFFSetField(t, tag, v); }
static inline int ct_set_float(TIFF *t, uint32_t tag, float v) { return TIFFSetField(t, tag, (double)v); }
static inline int ct_set_string(TIFF *t, uint32_t tag, const char *v) { return TIFFSetField(t, tag, v); }
static inline int ct_set_u16_array(TIFF *t, uint32_t tag, uint16_t count, const uint16_t *values) {
    return TIFFSetField(t, tag, count, values);
}
// ImageJ writes SubfileType/NewSubfileType; libtiff needs an int-promoted value.
static inline int ct_set_subfiletype(TIFF *t, uint32_t v) { return TIFFSetField(t, TIFFTAG_SUBFILETYPE, v); }

// ---------------------------------------------------------------------------------------
// Messages. libtiff prints errors and warnings to stderr unless given handlers. We keep them
// per handle: `ct_open` passes a caller-owned `ct_messages` to libtiff 4.5's TIFFOpenOptions
// (TIFFOpenOptionsSetErrorHandlerExtR), so parallel readers never share state and the
// Swift side turns the first error into an InputError. Messages raised by code paths that
// only know the global handlers go to a per-thread record (ct_thread_messages), again
// never to the terminal.
typedef struct ct_messages {
    int error_count;
    int warning_count;
    char first_error[512];
    char last_warning[512];
} ct_messages;

static inline void ct_messages_reset(ct_messages *m) {
    m->error_count = 0;
    m->warning_count = 0;
    m->first_error[0] = 0;
    m->last_warning[0] = 0;
}

static inline void ct_messages_add(ct_messages *m, int is_error, const char *module, const char *fmt, va_list ap) {
    char text[400];
    vsnprintf(text, sizeof text, fmt, ap);
    if (is_error) {
        if (m->error_count == 0) {
            if (module && module[0]) snprintf(m->first_error, sizeof m->first_error, "%s: %s", module, text);
            else snprintf(m->first_error, sizeof m->first_error, "%s", text);
        }
        m->error_count += 1;
    } else {
        if (module && module[0]) snprintf(m->last_warning, sizeof m->last_warning, "%s: %s", module, text);
        else snprintf(m->last_warning, sizeof m->last_warning, "%s", text);
        m->warning_count += 1;
    }
}

static inline int ct_handle_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap) {
    (void)t;
    if (user) ct_messages_add((ct_messages *)user, 1, module, fmt, ap);
    return 1;  // handled: libtiff must not call the global handler
}
static inline int ct_handle_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap) {
    (void)t;
    if (user) ct_messages_add((ct_messages *)user, 0, module, fmt, ap);
    return 1;
}

// Per-thread fallback record for messages that reach the global handlers.
// (A function-local static: file-scope statics in a header imported by Swift are not emitted.)
static inline ct_messages *ct_thread_messages(void) {
    static _Thread_local ct_messages record;
    return &record;
}
static inline void ct_global_error(const char *module, const char *fmt, va_list ap) {
    ct_messages_add(ct_thread_messages(), 1, module, fmt, ap);
}
static inline void ct_global_warning(const char *module, const char *fmt, va_list ap) {
    ct_messages_add(ct_thread_messages(), 0, module, fmt, ap);
}
/// Routes libtiff's global handlers into the per-thread record. Idempotent.
static inline void ct_silence_global_handlers(void) {
    TIFFSetErrorHandler(ct_global_error);
    TIFFSetWarningHandler(ct_global_warning);
}

/// Opens `path` with `mode` ("r", "w", "w8" for BigTIFF, "r+") and per-handle message
/// handlers writing into `messages` (which must outlive the handle).
static inline TIFF *ct_open(const char *path, const char *mode, ct_messages *messages) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return 0;
    TIFFOpenOptionsSetErrorHandlerExtR(options, ct_handle_error, messages);
    TIFFOpenOptionsSetWarningHandlerExtR(options, ct_handle_warning, messages);
    TIFF *t = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    return t;
}
#endif
