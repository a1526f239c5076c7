// Rust's std draws its random numbers from ProcessPrng in bcryptprimitives.dll, which Wine 8.0
// lacks: the addon would not load. This stand-in exports ProcessPrng over BCryptGenRandom (the
// system's preferred generator), and the lane copies it into the Wine prefix's system32.
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
