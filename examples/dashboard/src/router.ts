//! Pages. Hash history: the built app works from any path the stack serves it under, with no
//! server-side fallback to index.html.
import { createRouter, createWebHashHistory } from 'vue-router'
import { signedIn } from './session'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/sign-in', name: 'sign-in', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    { path: '/', name: 'overview', component: () => import('./pages/Overview.vue') },
    { path: '/orders', name: 'orders', component: () => import('./pages/Orders.vue') },
    { path: '/orders/:id', name: 'order', component: () => import('./pages/OrderDetail.vue'), props: true },
    { path: '/products', name: 'products', component: () => import('./pages/Products.vue') },
    { path: '/products/:id', name: 'product', component: () => import('./pages/ProductEdit.vue'), props: true },
    { path: '/import', name: 'import', component: () => import('./pages/Import.vue') },
    { path: '/reviews', name: 'reviews', component: () => import('./pages/Reviews.vue') },
    { path: '/low-stock', name: 'low-stock', component: () => import('./pages/LowStock.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !signedIn.value) return { name: 'sign-in', query: { next: to.fullPath } }
  if (to.name === 'sign-in' && signedIn.value) return { name: 'overview' }
  return true
})

router.afterEach((to) => {
  const titles: Record<string, string> = {
    'sign-in': 'Sign in',
    overview: 'Overview',
    orders: 'Orders',
    order: 'Order',
    products: 'Products',
    product: 'Product',
    import: 'Import products',
    reviews: 'Reviews',
    'low-stock': 'Low stock',
  }
  document.title = `${titles[String(to.name)] ?? 'Dashboard'} · Commerce dashboard`
})
