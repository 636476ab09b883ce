import qrcode from 'qrcode-terminal';

/** Where pairing QR codes go: default, rendered small on stderr with instructions. */
export type QrHandler = (qr: string) => void;

export function printQrToTerminal(
  accountId: string,
  write: (text: string) => void = (t) => process.stderr.write(t),
): QrHandler {
  return (qr) => {
    qrcode.generate(qr, { small: true }, (rendered) => {
      write(
        `\nWhatsApp (account ${accountId}): on your phone open WhatsApp → Settings → Linked devices → Link a device, and scan:\n${rendered}\n`,
      );
    });
  };
}
