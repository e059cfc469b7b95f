import { createApp } from 'vue';
import 'voice-call';
import App from './App.vue';

createApp(App).mount('#app');
