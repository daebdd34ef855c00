// Stylesheets imported `with { type: 'text' }` arrive as their text (esbuild's text loader), e.g. uPlot's CSS.
declare module '*.css' {
  const text: string;
  export default text;
}
