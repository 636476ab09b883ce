declare module 'qrcode-terminal' {
  interface QrcodeTerminal {
    generate(input: string, options: { small?: boolean }, callback: (rendered: string) => void): void;
    generate(input: string, callback: (rendered: string) => void): void;
  }
  const qrcode: QrcodeTerminal;
  export default qrcode;
}
