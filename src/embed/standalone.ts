// The standalone bundle (`l0-agent.js`): load it with <script type="module"> and use <l0-agent>.
import { defineL0Agent } from './index';

export * from './index';
defineL0Agent();
