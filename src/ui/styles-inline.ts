// The UI stylesheet as text, for adopting into a ShadowRoot (embeds). Not used by the page itself.
export { default as UI_CSS } from './styles.css?inline';
