"""asyncio: four workers take 2,000 items from a queue, sleep(0) between them, and stop on a sentinel."""
import asyncio


async def worker(queue, out):
    while True:
        item = await queue.get()
        if item is None:
            break
        await asyncio.sleep(0)
        out.append(item * 2)


async def main():
    queue = asyncio.Queue()
    out = []
    tasks = [asyncio.create_task(worker(queue, out)) for _ in range(4)]
    for i in range(2000):
        await queue.put(i)
    for _ in tasks:
        await queue.put(None)
    await asyncio.gather(*tasks)
    return len(out)


print("handled", asyncio.run(main()), "items")
