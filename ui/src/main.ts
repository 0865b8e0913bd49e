import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { apply } from './lib/theme.svelte';
import { locale } from './lib/i18n/index.svelte';

apply();
document.documentElement.lang = locale.lang;

const target = document.getElementById('app');
if (!target) throw new Error('index.html lost its #app element');
export default mount(App, { target });
