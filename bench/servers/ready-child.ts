/** The update->ready floor: a bare node process that loads zeromq and says ready over it. */
import { Dealer } from 'zeromq';

const [endpoint, tag] = process.argv.slice(2) as [string, string];
const dealer = new Dealer({ routingId: `ready-${tag}`, linger: 1000 });
dealer.connect(endpoint);
await dealer.send(JSON.stringify({ spawned: tag }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
