//! New orders as they are placed (`orderPlaced`), shared by the header's notice, the orders
//! table and the overview (which reloads its figures when one arrives).
import { ref, watch } from 'vue'
import { useSubscription } from '@urql/vue'
import { OrderPlacedDocument, type OrderPlacedSubscription } from './gql/graphql'

export type LiveOrder = OrderPlacedSubscription['orderPlaced']

export const liveOrders = ref<LiveOrder[]>([])
/** Bumped on every new order; pages watch it to refetch. */
export const liveTick = ref(0)

/** Starts the subscription; call once from the signed-in layout. */
export function useLiveOrders() {
  const subscription = useSubscription({ query: OrderPlacedDocument, variables: {} })
  watch(subscription.data, (data) => {
    const order = data?.orderPlaced
    if (!order || liveOrders.value.some((o) => o.id === order.id)) return
    liveOrders.value = [order, ...liveOrders.value].slice(0, 20)
    liveTick.value += 1
  })
  return subscription
}
